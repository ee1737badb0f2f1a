'use strict';
/**
 * Probe: how much an engine.io server promotes to V8's old generation per message sent.
 *
 *   node bench/probes/engine-io-promotion.js [send|copy|none|release] [node flags…]
 *
 * One engine.io server (no socket.io, no Redis) with 2,000 WebSocket clients in a child process
 * sends 2,500 messages/s, one per socket in turn, for 12 s, and reports the bytes its scavenges
 * promoted per second after the first second (from `--trace-gc-nvp`). Modes:
 *   send  engine.io's own `socket.send(data)`;
 *   copy  the same steps as engine.io's `Socket#sendPacket` and `#flush`, from a function defined
 *         here (a fresh allocation site);
 *   none  the same per-message work without sending;
 *   release  `socket.send(data)` on connections set up by the module's `releaseSentPackets`
 *         (dist/lib, as `RedisIoAdapter` sets up its own: `npm run build` first).
 * Extra arguments are node flags for the server, e.g. --no-allocation-site-pretenuring.
 * See docs/BENCHMARKS.md, "What limits the numbers", item 1.
 */
const http = require('node:http');
const { spawn } = require('node:child_process');

const SOCKETS = 2000;
const RATE = 2500;
const SECONDS = 12;

function client(port) {
  const WebSocket = require('ws');
  let open = 0;
  for (let i = 0; i < SOCKETS; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket`);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text[0] === '0' && ++open === SOCKETS) process.send('open');
      else if (text === '2') ws.send('3');
    });
  }
}

/** engine.io's sendPacket + flush (engine.io 6.6), minus what does not run here. */
function sendCopy(socket, data) {
  socket.writeBuffer.push({ type: 'message', options: { compress: true }, data });
  if (socket.readyState === 'closed' || !socket.transport.writable) return;
  const buffered = socket.writeBuffer;
  socket.writeBuffer = [];
  socket.sentCallbackFn.push(null);
  socket.transport.send(buffered);
}

function server(mode) {
  const engine = require('engine.io');
  const httpServer = http.createServer();
  const eio = engine.attach(httpServer, { transports: ['websocket'] });
  const sockets = [];
  if (mode === 'release') {
    const { releaseSentPackets } = require('../../dist/lib/scale-out/release-sent-packets');
    releaseSentPackets({ engine: eio });
  }
  eio.on('connection', (socket) => sockets.push(socket));
  httpServer.listen(0, '127.0.0.1', async () => {
    const clients = spawn(process.execPath, [__filename, 'client', httpServer.address().port], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise((resolve) => clients.once('message', resolve));
    global.gc();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const start = performance.now();
    console.log(`PHASE_START ${Math.round(start)}`);
    let k = 0;
    await new Promise((resolve) => {
      const tick = () => {
        const due = Math.min(
          RATE * SECONDS,
          Math.floor(((performance.now() - start) * RATE) / 1000),
        );
        for (; k < due; k++) {
          const data = JSON.stringify(['m', { i: k, t: Date.now(), p: 'x'.repeat(24) }]);
          const socket = sockets[k % SOCKETS];
          if (mode === 'send' || mode === 'release') socket.send(data);
          else if (mode === 'copy') sendCopy(socket, data);
          else globalThis.probeSink = data;
        }
        if (k >= RATE * SECONDS) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    console.log(`PHASE_END ${Math.round(performance.now())}`);
    clients.kill();
    process.exit(0);
  });
}

function main(mode, flags) {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--trace-gc-nvp', ...flags, __filename, 'server', mode],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.on('exit', () => {
    const from = Number(/PHASE_START (\d+)/.exec(out)[1]) + 1000;
    const to = Number(/PHASE_END (\d+)/.exec(out)[1]);
    let promoted = 0;
    let scavenges = 0;
    for (const m of out.matchAll(/\s(\d+) ms: pause=\S+ .*?gc=s .*?promoted=(\d+)/g)) {
      if (Number(m[1]) < from || Number(m[1]) > to) continue;
      promoted += Number(m[2]);
      scavenges++;
    }
    const perSecond = Math.round(promoted / ((to - from) / 1000) / 1024);
    console.log(
      `${mode}${flags.length ? ` (${flags.join(' ')})` : ''}: ${scavenges} scavenges, promoted ${perSecond} KB/s`,
    );
  });
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'client') client(Number(rest[0]));
else if (role === 'server') server(rest[0]);
else main(role || 'send', rest);
