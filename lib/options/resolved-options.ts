import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { ServerOptions } from 'socket.io';
import type { SigningKeyProvider } from '../auth/signing-key.provider';
import type { RedisCredentialsProvider } from '../scale-out/redis-credentials';
import type { TokenVersion } from './notifications-options.interface';

/** Auth options with every default applied. */
export interface ResolvedAuthOptions {
  tenants: string[];
  audiences: string[];
  authorityHost: string;
  tokenVersions: TokenVersion[];
  clockToleranceSeconds: number;
  allowAppTokens: boolean;
  requiredScopes: string[];
  allowTokenInQuery: boolean;
  maxTokenBytes: number;
  keysRefreshSeconds: number;
  unknownKidCooldownSeconds: number;
  fetchTimeoutMs: number;
  signingKeys?: SigningKeyProvider;
  expiryWarningSeconds: number;
}

/** The module's options after validation, with every default applied. */
export interface ResolvedNotificationsOptions {
  auth?: ResolvedAuthOptions;
  redis?: {
    url?: string;
    options: RedisOptions;
    clusterNodes?: string[];
    clusterOptions?: ClusterOptions;
    mode: 'classic' | 'sharded';
    keyPrefix: string;
    credentials?: RedisCredentialsProvider;
  };
  runs: { logMaxLength: number; ttlSeconds: number };
  limits: {
    maxSubscriptionsPerConnection: number;
    subscribesPerSecond: number;
    maxMessageBytes: number;
    maxConnectionsPerUser: number;
  };
  presence: { heartbeatSeconds: number; ttlSeconds: number };
  cors?: ServerOptions['cors'];
  path: string;
  transports: Array<'websocket' | 'polling'>;
  connectionClaims: string[];
}
