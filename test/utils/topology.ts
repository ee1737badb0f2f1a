import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx, type NginxHandle } from './nginx';
import { startRedisServer, type RedisServerHandle } from './redis-server';
import { freePort } from './ports';
import { startSampleProcess, type SampleProcess } from './sample-process';

/** docker-compose.yml's topology without Docker: Redis (AOF), N compiled instances, nginx, a worker. */
export interface Topology {
  redis: RedisServerHandle;
  instances: SampleProcess[];
  worker?: SampleProcess;
  nginx: NginxHandle;
  env: Record<string, string>;
  /** Stops Redis gracefully (its AOF is flushed) and starts it again on the same port and data. */
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  /** Starts instance `i` again on its port (after a crash or a drain). */
  restart(i: number): Promise<SampleProcess>;
  /** Index of the instance holding `count` connections or more, from each instance's /health. */
  instanceHolding(count?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startTopology(
  options: { instances?: number; worker?: boolean; env?: Record<string, string> } = {},
): Promise<Topology> {
  const redisDir = mkdtempSync(join(tmpdir(), 'topology-redis-'));
  let redis = await startRedisServer({ appendOnly: true, dir: redisDir });
  const env = {
    AUTH_MODE: 'dev',
    REDIS_URL: redis.url,
    TASK_RUNNER: options.worker === false ? 'inline' : 'worker',
    RUN_STEPS: '4',
    RUN_STEP_MS: '100',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...options.env,
  };
  const ports = await Promise.all(Array.from({ length: options.instances ?? 3 }, () => freePort()));
  /** Stops the processes given, then Redis, and removes its data. */
  const teardown = async (processes: SampleProcess[]) => {
    await Promise.all(processes.map((p) => p.kill()));
    await redis.stop();
    rmSync(redisDir, { recursive: true, force: true });
  };
  // What started is stopped again if a later part fails to start.
  const started: SampleProcess[] = [];
  let instances: SampleProcess[];
  let worker: SampleProcess | undefined;
  let nginx: NginxHandle;
  try {
    const results = await Promise.allSettled(
      ports.map((port) => startSampleProcess(env, { port })),
    );
    for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    instances = [...started];
    if (options.worker !== false) {
      worker = await startSampleProcess(env, { entry: 'worker' });
      started.push(worker);
    }
    nginx = await startNginx(ports);
  } catch (error) {
    await teardown(started);
    throw error;
  }
  const topology: Topology = {
    redis,
    instances,
    worker,
    nginx,
    env,
    async stopRedis() {
      await redis.stop();
    },
    async startRedis() {
      redis = await startRedisServer({ appendOnly: true, dir: redisDir, port: redis.port });
      topology.redis = redis;
    },
    async restart(i) {
      instances[i] = await startSampleProcess(env, { port: ports[i] });
      return instances[i];
    },
    async instanceHolding(count = 1) {
      for (let attempt = 0; attempt < 100; attempt++) {
        for (const [i, instance] of instances.entries()) {
          try {
            const health = (await (await fetch(`${instance.url}/health`)).json()) as {
              details: { gateway: { connections?: number } };
            };
            if ((health.details.gateway.connections ?? 0) >= count) return i;
          } catch {
            // A dead instance holds nothing.
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no instance holds ${count} connection(s)`);
    },
    async stop() {
      await nginx.stop();
      await teardown([...instances, ...(worker ? [worker] : [])]);
    },
  };
  return topology;
}
