export * from './events';
export * from './error-codes';
export * from './messages';
export * from './run-id';
