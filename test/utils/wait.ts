export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls server-side state (there is no client event for it) until it holds or time runs out. */
export async function eventually(
  what: () => string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`not met in ${timeoutMs} ms: ${what()}`);
    await delay(10);
  }
}
