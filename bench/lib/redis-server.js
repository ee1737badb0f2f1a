'use strict';
/**
 * Starts a real `redis-server` on 127.0.0.1 on a free ephemeral port (never 6379), without
 * persistence, in a temporary directory; stop() terminates it and removes the directory.
 */
const { spawn } = require('node:child_process');
const { accessSync, constants, mkdtempSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { delimiter, join } = require('node:path');

const INSTALL =
  'redis-server not found on PATH. Install it: apt-get update && apt-get install -y redis-server';

function findOnPath(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedisServer() {
  if (!findOnPath('redis-server')) throw new Error(INSTALL);
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  // setpriv --pdeathsig: the kernel kills redis if the orchestrator dies, so no orphan is left.
  const setpriv = findOnPath('setpriv');
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--protected-mode',
      'no',
      '--maxclients',
      '1000',
    ];
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', 'redis-server', ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ready = await new Promise((resolve) => {
      let output = '';
      const timer = setTimeout(() => resolve(false), 10_000);
      const onData = (chunk) => {
        output = (output + chunk).slice(-8192);
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        pid: child.pid,
        async stop() {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
          child.stdout.destroy();
          child.stderr.destroy();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('redis-server did not start (5 attempts)');
}

module.exports = { startRedisServer };
