const RUN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** True when `value` is a valid run id: 1–128 characters of `[A-Za-z0-9_.:-]`. */
export function isValidRunId(value: unknown): value is string {
  return typeof value === 'string' && RUN_ID_PATTERN.test(value);
}
