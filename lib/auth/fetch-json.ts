import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** The largest document accepted: Entra's OpenID metadata and key sets are a few KB. */
export const MAX_JSON_BYTES = 1 << 20;

/**
 * GETs a JSON object with node:http(s), within `timeoutMs` for the whole exchange. Redirects are
 * not followed (as jose does not): key material comes from the URL configured or discovered.
 *
 * Not the global `fetch`: it would load undici and its WebAssembly HTTP parser into every instance,
 * a few MB of memory for two small documents a day per tenant.
 */
export function fetchJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  let timer: NodeJS.Timeout | undefined;
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const target = new URL(url);
    const request =
      target.protocol === 'https:'
        ? httpsRequest
        : target.protocol === 'http:'
          ? httpRequest
          : null;
    if (!request) return reject(new Error(`GET ${url}: only http and https are supported`));
    // The first outcome wins; destroying the request stops whatever is still coming.
    const fail = (message: string) => {
      reject(new Error(`GET ${url} ${message}`));
      req.destroy();
    };
    const req = request(target, { headers: { accept: 'application/json' } }, (res) => {
      if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299)
        return fail(`answered ${res.statusCode}`);
      res.once('error', reject);
      res.once('close', () => {
        if (!res.complete) fail('was cut short');
      });
      readBody(
        res,
        () => fail(`returned more than ${MAX_JSON_BYTES} bytes`),
        (text) => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            return fail('did not return JSON');
          }
          if (body === null || typeof body !== 'object' || Array.isArray(body))
            return fail('did not return an object');
          resolve(body as Record<string, unknown>);
        },
      );
    });
    timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
    req.once('error', reject);
    req.end();
  }).finally(() => clearTimeout(timer));
}

/** Collects a response body as UTF-8, or calls `tooLarge` once the size limit is passed. */
function readBody(res: IncomingMessage, tooLarge: () => void, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  res.on('data', (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (size > MAX_JSON_BYTES) {
      over = true;
      chunks.length = 0;
      return tooLarge();
    }
    chunks.push(chunk);
  });
  res.once('end', () => {
    if (!over) done(Buffer.concat(chunks).toString('utf8'));
  });
}
