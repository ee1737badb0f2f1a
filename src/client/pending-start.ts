/**
 * The promise `start()` returns while the client connects, settled once: resolved by the connect,
 * rejected by a final refusal or by `stop()`.
 */
export class PendingStart {
  readonly promise: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A start() nobody awaits, then stop(), must not surface as an unhandled rejection; callers
    // that await it still see the rejection.
    this.promise.catch(() => undefined);
  }

  /** Resolves, or rejects with `error`. */
  settle(error?: Error): void {
    if (error) this.reject(error);
    else this.resolve();
  }
}
