import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { startTopology, type Topology } from './utils/topology';
import {
  launchChromium,
  openSamplePage,
  progressOf,
  runIds,
  startTask,
  waitForProgress,
  waitForConnection,
  waitForRun,
  type SampleTab,
} from './utils/sample-page';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts');
const RUN_STEPS = 5;

/** Non-decreasing, as a progress bar must be. */
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

// The sample page in Debian's Chromium, through nginx in front of two compiled instances on a real
// Redis (docker-compose's topology without Docker), dev identity, tasks run inline.
describe('sample page in Chromium, nginx + two instances on Redis', () => {
  let topology: Topology | undefined;
  let browser: Browser | undefined;
  let aliceContext: BrowserContext;
  let bobContext: BrowserContext;
  let alice: SampleTab;
  let aliceTab2: SampleTab;
  let bob: SampleTab;
  let firstRun: string;

  beforeAll(async () => {
    // Chromium first: without it the suite fails at once, naming the package.
    browser = await launchChromium();
    topology = await startTopology({
      instances: 2,
      worker: false,
      env: { RUN_STEPS: String(RUN_STEPS), RUN_STEP_MS: '300' },
    });
    const options = { viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' as const };
    [aliceContext, bobContext] = await Promise.all([
      browser.newContext(options),
      browser.newContext(options),
    ]);
    alice = await openSamplePage(aliceContext, topology.nginx.url, 'alice');
    aliceTab2 = await openSamplePage(aliceContext, topology.nginx.url, 'alice');
    bob = await openSamplePage(bobContext, topology.nginx.url, 'bob');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await topology?.stop();
  }, 30_000);

  afterEach(() => {
    for (const tab of [alice, aliceTab2, bob]) expect(tab?.errors ?? []).toEqual([]);
  });

  it('alice starts a task and watches its progress bar reach 100% and the status completed', async () => {
    const { page } = alice;
    // The tab she looks at: a background tab neither paints nor runs animation frames.
    await page.bringToFront();
    firstRun = await startTask(page);
    // The button waits while her task runs.
    expect(await page.isDisabled('#start-btn')).toBe(true);
    await waitForProgress(page, firstRun, 40);
    await waitForRun(page, firstRun, 'completed', 100);
    const shown = await progressOf(page, firstRun);
    expect(shown).toEqual(sorted(shown));
    expect(shown.at(-1)).toBe(100);
    expect(new Set(shown).size).toBeGreaterThanOrEqual(3); // it moved, live
    await page.waitForSelector('#start-btn:not([disabled])');
    expect(await runIds(page)).toEqual([firstRun]);
  }, 30_000);

  it("alice's second tab gets the run.completed alert", async () => {
    const alert = await aliceTab2.page.waitForSelector('#alerts li[data-type="run.completed"]');
    expect(await alert.textContent()).toContain(firstRun.slice(0, 8));
    // And so does the tab that started it.
    await alice.page.waitForSelector('#alerts li[data-type="run.completed"]');
  });

  it('bob, in another browser context, sees nothing of it', async () => {
    const { page } = bob;
    // The alert reached alice's tabs (previous test), so it would have reached bob's by now.
    expect(await page.$$('#runs li[data-run-id]')).toHaveLength(0);
    expect(await page.$$('#alerts li')).toHaveLength(0);
    expect(await page.textContent('#connection-state')).toBe('connected');
    expect(await page.isEnabled('#start-btn')).toBe(true); // alice's task is not his
    // Asking for it from his browser does not help: the same answer as for no run at all.
    const answers = await page.evaluate(async (runId) => {
      const token = async () =>
        ((await (await fetch('/dev/token?user=bob')).json()) as { access_token: string })
          .access_token;
      const http = await fetch(`/api/runs/${runId}`, {
        headers: { Authorization: `Bearer ${await token()}` },
      });
      const sdk = (window as any).NotificationsSdk;
      const client = new sdk.NotificationsClient({
        url: location.origin,
        accessTokenFactory: token,
      });
      await client.start();
      let subscribe = 'subscribed';
      try {
        await client.subscribeToRun(runId, () => undefined);
      } catch (error) {
        subscribe = (error as { code: string }).code;
      } finally {
        await client.stop();
      }
      return { http: http.status, subscribe };
    }, firstRun);
    expect(answers).toEqual({ http: 404, subscribe: 'not_found' });
  });

  it('after a reload mid-run, alice sees the run resume from where it was and complete', async () => {
    const { page } = alice;
    await page.bringToFront();
    const runId = await startTask(page);
    // Mid-run: the first progress step is shown, four more (1.5 s) to go.
    await waitForProgress(page, runId, 20);
    const beforeReload = Number(
      await page.getAttribute(`#runs li[data-run-id="${runId}"] [aria-valuenow]`, 'aria-valuenow'),
    );
    expect(beforeReload).toBeLessThan(100);

    await page.reload();
    await waitForConnection(page);
    await waitForRun(page, runId, 'completed', 100);

    // From sessionStorage the page showed where the run was, then only went forward.
    const shown = await progressOf(page, runId);
    expect(shown[0]).toBeGreaterThanOrEqual(beforeReload);
    expect(shown[0]).toBeLessThan(100); // the reload was mid-run: the rest came live, re-subscribed
    expect(shown).toEqual(sorted(shown));
    expect(shown.at(-1)).toBe(100);
    // Both runs are listed, once each, newest first, with their final status.
    expect(await runIds(page)).toEqual([runId, firstRun]);
    await waitForRun(page, firstRun, 'completed', 100);
    // Its alert reached her other tab (a notification is not replayed, so the reloaded tab gets
    // it only if it was back in time).
    await aliceTab2.page.waitForSelector(
      `#alerts li[data-type="run.completed"]:has-text("${runId.slice(0, 8)}")`,
    );
    await page.waitForSelector('#start-btn:not([disabled])');
  }, 30_000);

  it("saves screenshots: alice's completed page at 1280×800 and 390×844, a run in progress, bob's page", async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await bob.page.bringToFront();
    await bob.page.screenshot({ path: join(ARTIFACTS, 'bob-1280x800.png') });
    const { page } = alice;
    await page.bringToFront();
    await page.mouse.move(0, 0); // no hover style in the pictures
    await page.screenshot({ path: join(ARTIFACTS, 'alice-completed-1280x800.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(ARTIFACTS, 'alice-completed-390x844.png') });
    await page.screenshot({
      path: join(ARTIFACTS, 'alice-completed-390-full.png'),
      fullPage: true,
    });
    // Nothing overflows sideways on a phone.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);

    await page.setViewportSize({ width: 1280, height: 800 });
    const runId = await startTask(page);
    await page.mouse.move(0, 0);
    await waitForProgress(page, runId, 40);
    await page.screenshot({ path: join(ARTIFACTS, 'alice-running-1280x800.png') });
    expect(await page.textContent(`#runs li[data-run-id="${runId}"] .run-status`)).toBe('progress');
    await waitForRun(page, runId, 'completed', 100);
  });
});
