export * from './notifications.error';
export * from './auth.error';
