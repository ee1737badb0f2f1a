import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_JSON_BYTES, fetchJson } from './fetch-json';

describe('fetchJson', () => {
  let server: Server;
  let base: string;
  /** Path → how the server answers it. */
  const routes: Record<string, (res: ServerResponse) => void> = {
    '/ok': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}'),
    '/chunked': (res) => {
      res.writeHead(200);
      res.write('{"keys":[');
      setTimeout(() => res.end('1,2]}'), 20);
    },
    '/missing': (res) => res.writeHead(404).end('{"error":"nope"}'),
    '/redirect': (res) => res.writeHead(302, { location: '/ok' }).end(),
    '/html': (res) => res.writeHead(200).end('<html></html>'),
    '/array': (res) => res.writeHead(200).end('[1]'),
    '/null': (res) => res.writeHead(200).end('null'),
    '/huge': (res) => {
      res.writeHead(200);
      // Twice the limit, in pieces; the client must stop reading.
      const piece = Buffer.alloc(64 * 1024, 0x20);
      for (let sent = 0; sent <= 2 * MAX_JSON_BYTES; sent += piece.length) res.write(piece);
      res.end();
    },
    '/hang': () => undefined,
    '/cut': (res) => {
      res.writeHead(200);
      res.write('{"a":');
      setTimeout(() => res.socket?.destroy(), 20);
    },
  };

  beforeAll(async () => {
    server = createServer((req, res) => routes[req.url ?? '']?.(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('resolves a JSON object, also sent in pieces', async () => {
    await expect(fetchJson(`${base}/ok`, 2000)).resolves.toEqual({ a: 1 });
    await expect(fetchJson(`${base}/chunked`, 2000)).resolves.toEqual({ keys: [1, 2] });
  });

  it.each([
    ['/missing', /answered 404/],
    ['/redirect', /answered 302/],
    ['/html', /did not return JSON/],
    ['/array', /did not return an object/],
    ['/null', /did not return an object/],
    ['/huge', /more than 1048576 bytes/],
    ['/cut', /was cut short|aborted/],
  ])('rejects %s', async (path, message) => {
    await expect(fetchJson(`${base}${path}`, 2000)).rejects.toThrow(message);
  });

  it('rejects once the whole exchange outlasts the timeout', async () => {
    const started = Date.now();
    await expect(fetchJson(`${base}/hang`, 150)).rejects.toThrow(/timed out after 150 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('rejects other protocols and unreachable hosts', async () => {
    await expect(fetchJson('file:///etc/passwd', 2000)).rejects.toThrow(/only http and https/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchJson(`http://127.0.0.1:${port}/`, 2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
