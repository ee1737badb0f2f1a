import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; the browser suite drives it through playwright-core (no bundled browser). */
export const CHROMIUM = '/usr/bin/chromium';

/** Launches headless Chromium, or fails saying how to install it (never a skip). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}; the browser suite needs it. ` +
        'Install it: apt-get update && apt-get install -y chromium',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** One tab on the sample page, with the uncaught errors it raised. */
export interface SampleTab {
  page: Page;
  errors: string[];
}

/** A progress value a run's bar showed, in the order shown (recorded by {@link recordProgress}). */
export interface ProgressSample {
  runId: string;
  value: number;
}

/**
 * Runs in the page before its scripts, on every load: records each `aria-valuenow` every run's
 * progress bar takes, exactly and in order (old values from the mutation records, then the
 * current one), into `window.__progress`.
 */
function recordProgress(): void {
  const samples: ProgressSample[] = [];
  (window as unknown as { __progress: ProgressSample[] }).__progress = samples;
  const push = (bar: Element, value: string | null) => {
    const li = bar.closest('li[data-run-id]') as HTMLElement | null;
    if (li && value !== null) samples.push({ runId: li.dataset.runId!, value: Number(value) });
  };
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver((records) => {
      const touched = new Set<Element>();
      for (const r of records) {
        if (r.type !== 'attributes') continue;
        push(r.target as Element, r.oldValue);
        touched.add(r.target as Element);
      }
      touched.forEach((bar) => push(bar, bar.getAttribute('aria-valuenow')));
    }).observe(document.getElementById('runs')!, {
      subtree: true,
      attributes: true,
      attributeOldValue: true,
      attributeFilter: ['aria-valuenow'],
    });
  });
}

/** The progress values a run's bar showed since the page (re)loaded. */
export async function progressOf(page: Page, runId: string): Promise<number[]> {
  const samples = await page.evaluate(
    () => (window as unknown as { __progress: ProgressSample[] }).__progress,
  );
  return samples.filter((s) => s.runId === runId).map((s) => s.value);
}

/** Waits until `#connection-state` reads `text`. */
export async function waitForConnection(page: Page, text = 'connected'): Promise<void> {
  await page.waitForFunction(
    (t) => document.querySelector('#connection-state')?.textContent === t,
    text,
  );
}

/**
 * Opens the sample page in `context` as `user` (dev mode): the page signs in as alice by itself;
 * another user is picked with the switcher once the page has booted.
 */
export async function openSamplePage(
  context: BrowserContext,
  url: string,
  user: string,
): Promise<SampleTab> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.addInitScript(recordProgress);
  await page.goto(url);
  await page.waitForSelector('#connect-btn:not([disabled])'); // booted: config read
  if (user !== 'alice') await page.selectOption('#user-select', user);
  await page.waitForFunction(
    (u) => document.querySelector('#identity')?.textContent === `Signed in as ${u}`,
    user,
  );
  await waitForConnection(page);
  return { page, errors };
}

/** Clicks "Start task" and resolves with the id of the run item that appears. */
export async function startTask(page: Page): Promise<string> {
  const before = await runIds(page);
  await page.click('#start-btn:not([disabled])');
  const handle = await page.waitForFunction(
    (known) =>
      [...document.querySelectorAll<HTMLElement>('#runs li[data-run-id]')]
        .map((li) => li.dataset.runId!)
        .find((id) => !known.includes(id)),
    before,
  );
  return (await handle.jsonValue()) as string;
}

/** The run ids listed on the page, newest first. */
export function runIds(page: Page): Promise<string[]> {
  return page.$$eval('#runs li[data-run-id]', (lis) =>
    lis.map((li) => (li as HTMLElement).dataset.runId!),
  );
}

/** Waits until the run's item shows `status` and its bar `percent`. */
export async function waitForRun(
  page: Page,
  runId: string,
  status: string,
  percent?: number,
): Promise<void> {
  await page.waitForFunction(
    ([id, s, p]) => {
      const li = document.querySelector(`#runs li[data-run-id="${id}"]`);
      const bar = li?.querySelector('[aria-valuenow]');
      return (
        li?.querySelector('.run-status')?.textContent === s &&
        (p === null || bar?.getAttribute('aria-valuenow') === String(p))
      );
    },
    [runId, status, percent ?? null] as const,
  );
}

/**
 * Waits until the run's bar shows at least `percent` while the run is still going. Polled on every
 * animation frame (a progress step lasts a few hundred ms; selector waits poll too slowly for it).
 */
export async function waitForProgress(page: Page, runId: string, percent: number): Promise<void> {
  await page.waitForFunction(
    ([id, p]) => {
      const li = document.querySelector(`#runs li[data-run-id="${id}"]`);
      const value = Number(li?.querySelector('[aria-valuenow]')?.getAttribute('aria-valuenow'));
      return li?.querySelector('.run-status')?.textContent === 'progress' && value >= p;
    },
    [runId, percent] as const,
    { polling: 'raf' },
  );
}
