/** Calls each handler with `value`; one that throws goes to `onError`, and the others still run. */
export function callEach<T>(
  handlers: Iterable<(value: T) => void>,
  value: T,
  onError: (error: unknown) => void,
): void {
  for (const handler of handlers) {
    try {
      handler(value);
    } catch (error) {
      onError(error);
    }
  }
}

/** An error's message, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
