import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { LocalIdentityProvider } from './utils/identity-provider';
import { startLibraryApp, type LibraryApp } from './utils/library-app';
import { launchChromium } from './utils/sample-page';

const SDK_BUNDLE = join(__dirname, '..', 'dist', 'sample', 'public', 'notifications-sdk.js');

/** Serves a blank page and the SDK bundle: the SPA's origin, other than the API's. */
async function startPageOrigin(): Promise<{ url: string; server: Server }> {
  const sdk = readFileSync(SDK_BUNDLE);
  const server = createServer((req, res) => {
    if (req.url === '/notifications-sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script src="/notifications-sdk.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * The client SDK from a page on another origin, over long-polling only (as behind a proxy that
 * blocks WebSockets), with `withCredentials` for a load balancer's affinity cookie. The browser
 * sends credentials cross-origin only when the API's CORS allows them, so the same client must
 * connect when it does and fail when it does not: which shows the option reaches the requests.
 */
describe('client SDK in Chromium from another origin, long-polling with credentials', () => {
  let idp: LocalIdentityProvider;
  let browser: Browser;
  let page: { url: string; server: Server };
  const apps: LibraryApp[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    [idp, page] = await Promise.all([LocalIdentityProvider.start(), startPageOrigin()]);
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all(apps.map((a) => a.close()));
    await new Promise((resolve) => page?.server.close(resolve));
    await idp?.stop();
  });

  async function api(credentials: boolean): Promise<string> {
    const app = await startLibraryApp({
      auth: idp.authOptions(),
      cors: { origin: page.url, credentials },
    });
    apps.push(app);
    // Another host name for the same server: another origin than the page's 127.0.0.1.
    return app.url.replace('127.0.0.1', 'localhost');
  }

  /** Starts the SDK in the page; resolves with 'connected' or the failure. */
  async function connectFromPage(apiUrl: string, withCredentials: boolean): Promise<string> {
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      await tab.goto(page.url);
      return await tab.evaluate(
        async ({ url, token, withCredentials }) => {
          const sdk = (window as unknown as { NotificationsSdk: typeof import('../src/client') })
            .NotificationsSdk;
          const client = new sdk.NotificationsClient({
            url,
            accessTokenFactory: () => token,
            transports: ['polling'],
            withCredentials,
            reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
          });
          const outcome = await Promise.race([
            client.start().then(() => 'connected'),
            new Promise<string>((resolve) => setTimeout(() => resolve('no connection'), 4000)),
          ]).catch((error: Error) => `failed: ${error.message}`);
          client.stop();
          return outcome;
        },
        { url: apiUrl, token: await idp.issueToken(), withCredentials },
      );
    } finally {
      await context.close();
    }
  }

  it('connects with credentials when the API allows them', async () => {
    expect(await connectFromPage(await api(true), true)).toBe('connected');
  });

  it('does not connect with credentials when the API does not allow them', async () => {
    const url = await api(false);
    expect(await connectFromPage(url, true)).not.toBe('connected');
    // Without credentials the same API is reachable: the refusal above was the browser's.
    expect(await connectFromPage(url, false)).toBe('connected');
  });
});
