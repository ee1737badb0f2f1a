/** Per key, the end of the requests still in progress. */
export type InProgress = Map<string, Promise<void>>;

/**
 * Runs `operation` once the earlier operations on the same key (a connection's requests on one
 * run) have settled, whatever their outcome, so that they apply in the order they were made.
 * Operations on other keys are not held. `holder.inProgress` exists only while some operation is
 * in progress: a connection keeps nothing between requests.
 */
export function inOrder<T>(
  holder: { inProgress?: InProgress },
  key: string,
  operation: () => Promise<T>,
): Promise<T> {
  const chains = (holder.inProgress ??= new Map());
  const previous = chains.get(key);
  const result = previous ? previous.then(operation) : operation();
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  chains.set(key, tail);
  void tail.then(() => {
    if (chains.get(key) !== tail) return;
    chains.delete(key);
    if (chains.size === 0 && holder.inProgress === chains) holder.inProgress = undefined;
  });
  return result;
}
