/** The sample app's configuration, read from the environment (PROTOCOL.md §2). */
export interface SampleConfig {
  port: number;
  host: string;
  redisUrl?: string;
  redisMode: 'classic' | 'sharded';
  authMode: 'entra' | 'dev';
  tenants: string[];
  clientId?: string;
  audiences: string[];
  authorityHost: string;
  runSteps: number;
  runStepMs: number;
  /** Where simulated tasks run: in this instance, or in `dist/sample/worker.js` fed through Redis. */
  taskRunner: 'inline' | 'worker';
  /** SIGTERM: the longest wait for in-flight tasks before the process exits anyway. */
  shutdownTimeoutMs: number;
}

/** Thrown when the environment cannot configure the sample; the message says how to fix it. */
export class SampleConfigError extends Error {}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new SampleConfigError(`${name} must be an integer ≥ ${min}, got "${raw}".`);
  }
  return value;
}

/** Reads and checks the environment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  const tenants = list(env.AZURE_TENANT_ID);
  const authMode = env.AUTH_MODE || (tenants.length > 0 ? 'entra' : undefined);
  if (authMode !== 'entra' && authMode !== 'dev') {
    throw new SampleConfigError(
      authMode === undefined
        ? 'No authentication configured. Set AZURE_TENANT_ID and AZURE_CLIENT_ID to accept Entra ID tokens, ' +
            'or AUTH_MODE=dev for the built-in development identity (npm start does this).'
        : `AUTH_MODE must be "entra" or "dev", got "${authMode}".`,
    );
  }
  const clientId = env.AZURE_CLIENT_ID || undefined;
  const audiences = list(env.AZURE_AUDIENCE);
  if (authMode === 'entra') {
    if (tenants.length === 0)
      throw new SampleConfigError(
        'AUTH_MODE=entra needs AZURE_TENANT_ID (a tenant GUID, or a comma list).',
      );
    if (!clientId && audiences.length === 0) {
      throw new SampleConfigError(
        "AUTH_MODE=entra needs AZURE_CLIENT_ID (the API's application id) or AZURE_AUDIENCE.",
      );
    }
  }
  const redisMode = env.REDIS_MODE || 'classic';
  if (redisMode !== 'classic' && redisMode !== 'sharded') {
    throw new SampleConfigError(`REDIS_MODE must be "classic" or "sharded", got "${redisMode}".`);
  }
  const taskRunner = env.TASK_RUNNER || 'inline';
  if (taskRunner !== 'inline' && taskRunner !== 'worker') {
    throw new SampleConfigError(`TASK_RUNNER must be "inline" or "worker", got "${taskRunner}".`);
  }
  if (taskRunner === 'worker' && !env.REDIS_URL) {
    throw new SampleConfigError(
      'TASK_RUNNER=worker needs REDIS_URL: tasks reach the worker through Redis.',
    );
  }
  return {
    port: integer(env, 'PORT', 3000, 0),
    host: env.HOST || '0.0.0.0',
    redisUrl: env.REDIS_URL || undefined,
    redisMode,
    authMode,
    tenants,
    clientId,
    audiences: audiences.length > 0 ? audiences : clientId ? [clientId, `api://${clientId}`] : [],
    authorityHost: env.AZURE_AUTHORITY_HOST || 'https://login.microsoftonline.com',
    runSteps: integer(env, 'RUN_STEPS', 5, 0),
    runStepMs: integer(env, 'RUN_STEP_MS', 1000, 0),
    taskRunner,
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10000, 0),
  };
}
