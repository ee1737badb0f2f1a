import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const CONFIG = join(__dirname, '..', '..', 'deploy', 'nginx.conf');

/** nginx in front of the sample instances, with the compose file's configuration. */
export interface NginxHandle {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's nginx with `deploy/nginx.conf` (the file docker-compose.yml mounts), changed only
 * where the machine differs: the upstream servers, the listen address, and paths nginx writes to.
 */
export async function startNginx(upstreams: number[]): Promise<NginxHandle> {
  if (!NGINX)
    throw new Error('nginx not found. Install it: apt-get update && apt-get install -y nginx');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
  const servers = upstreams
    .map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`)
    .join('\n');
  let config = readFileSync(CONFIG, 'utf8');
  config = config.replace(
    /(upstream notifications \{\n\s*ip_hash;\n)(?:\s*server [^\n]+\n)+/,
    `$1${servers}\n`,
  );
  config = config.replace('listen 8080;', `listen 127.0.0.1:${port};`);
  config = config.replace(
    'http {',
    `http {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;`,
  );
  config = `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\n${config.replace('worker_processes auto;', 'worker_processes 1;')}`;
  if (!config.includes(`127.0.0.1:${upstreams[0]}`))
    throw new Error('deploy/nginx.conf changed shape: update test/utils/nginx.ts');
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, config);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', configPath, '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null)
      throw new Error(`nginx exited: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    try {
      await fetch(`${url}/health`);
      break;
    } catch {
      if (i === 100) {
        child.kill('SIGKILL');
        throw new Error(`nginx did not answer on ${url} within 5 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port,
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
