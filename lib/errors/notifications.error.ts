/**
 * Base class of every error this library throws. `code` is the protocol's error code when the error
 * is meant for a client; `message` says what happened and, for configuration errors, how to fix it.
 */
export class NotificationsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Thrown at bootstrap when the module's options are invalid. */
export class NotificationsConfigError extends NotificationsError {
  constructor(message: string) {
    super('invalid_configuration', `NotificationsModule: ${message}`);
  }
}
