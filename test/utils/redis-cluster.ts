import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from './redis-server';
import { freePort } from './ports';

const run = promisify(execFile);

/** A Redis Cluster of real `redis-server --cluster-enabled yes` nodes on loopback. */
export interface RedisClusterHandle {
  nodes: RedisServerHandle[];
  /** `redis://127.0.0.1:<port>` of each node: the seed list. */
  urls: string[];
  stop(): Promise<void>;
}

/**
 * Starts `size` masters (no replicas) on ephemeral ports, each with an explicit cluster bus port
 * (the default, port + 10000, may be out of range or taken), and joins them with
 * `redis-cli --cluster create`. Resolves once every node reports cluster_state:ok.
 */
export async function startRedisCluster(size = 3): Promise<RedisClusterHandle> {
  const nodes: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < size; i++) {
      const busPort = await freePort();
      nodes.push(
        await startRedisServer({
          extraArgs: [
            '--cluster-enabled',
            'yes',
            '--cluster-port',
            String(busPort),
            '--cluster-node-timeout',
            '3000',
          ],
        }),
      );
    }
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]).catch((error: NodeJS.ErrnoException & { stderr?: string }) => {
      if (error.code === 'ENOENT') {
        throw new Error(
          'redis-cli not found on PATH. Install it: apt-get update && apt-get install -y redis-server',
        );
      }
      throw new Error(`redis-cli --cluster create failed: ${error.stderr ?? error.message}`);
    });
    await Promise.all(nodes.map((n) => waitForClusterOk(n.url)));
    return { nodes, urls: nodes.map((n) => n.url), stop: () => stopAll(nodes) };
  } catch (error) {
    await stopAll(nodes);
    throw error;
  }
}

async function waitForClusterOk(url: string): Promise<void> {
  const redis = new Redis(url);
  try {
    for (let i = 0; i < 200; i++) {
      const info = (await redis.cluster('INFO')) as string;
      if (info.includes('cluster_state:ok')) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`cluster not ok at ${url}`);
  } finally {
    redis.disconnect();
  }
}

async function stopAll(nodes: RedisServerHandle[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}
