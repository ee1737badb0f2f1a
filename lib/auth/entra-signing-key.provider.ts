import { Logger } from '@nestjs/common';
import type { JWK } from 'jose';
import { AuthError } from '../errors/auth.error';
import { fetchJson } from './fetch-json';
import type { TokenVersion } from '../options/notifications-options.interface';
import { SigningKeyProvider, type TenantSigningKeys } from './signing-key.provider';

/** Settings of {@link EntraSigningKeyProvider}. */
export interface EntraSigningKeyProviderOptions {
  authorityHost: string;
  keysRefreshSeconds: number;
  unknownKidCooldownSeconds: number;
  fetchTimeoutMs: number;
  /** With nothing cached, how long a failed fetch is remembered before the next try. @default 2000 */
  failureRetryMs?: number;
}

interface CacheEntry {
  value?: TenantSigningKeys;
  fetchedAt: number;
  lastForcedAt: number;
  lastFailureAt: number;
  inflight?: Promise<TenantSigningKeys>;
}

/**
 * Discovers issuers and keys from Entra ID's OpenID metadata, per tenant and token version.
 *
 * jose's remote key set fails closed once its cache is stale and the provider is down; this cache
 * keeps the last good key set through an outage instead, refreshes it in the background, and
 * collapses concurrent fetches into one so that a burst of unknown-`kid` tokens costs one request.
 */
export class EntraSigningKeyProvider extends SigningKeyProvider {
  private readonly logger = new Logger('Notifications:SigningKeys');
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly options: EntraSigningKeyProviderOptions) {
    super();
  }

  /** The OpenID metadata URL of a tenant for a token version. */
  metadataUrl(tenantId: string, version: TokenVersion): string {
    const host = this.options.authorityHost;
    return version === '2.0'
      ? `${host}/${tenantId}/v2.0/.well-known/openid-configuration`
      : `${host}/${tenantId}/.well-known/openid-configuration`;
  }

  async getSigningKeys(
    tenantId: string,
    version: TokenVersion,
    forceRefresh = false,
  ): Promise<TenantSigningKeys> {
    const entry = this.entry(`${tenantId}|${version}`);
    const now = Date.now();
    const retryMs = this.options.failureRetryMs ?? 2000;
    if (entry.value) {
      // Forced fetches have their own cooldown, independent of routine refreshes, so a key rotated
      // in just after a refresh is still picked up at once.
      if (
        forceRefresh &&
        now - entry.lastForcedAt >= this.options.unknownKidCooldownSeconds * 1000
      ) {
        entry.lastForcedAt = now;
        return this.refresh(entry, tenantId, version).catch(() => entry.value!);
      }
      const stale = now - entry.fetchedAt >= this.options.keysRefreshSeconds * 1000;
      if (stale && !entry.inflight && now - entry.lastFailureAt >= retryMs) {
        this.refresh(entry, tenantId, version).catch(() => undefined);
      }
      return entry.value;
    }
    if (!entry.inflight && now - entry.lastFailureAt < retryMs) {
      throw new AuthError('auth_unavailable', 'Signing keys are unavailable; retry shortly.');
    }
    try {
      return await this.refresh(entry, tenantId, version);
    } catch (error) {
      throw new AuthError('auth_unavailable', 'Signing keys are unavailable; retry shortly.', {
        cause: error,
      });
    }
  }

  private entry(key: string): CacheEntry {
    let entry = this.cache.get(key);
    if (!entry) {
      entry = { fetchedAt: 0, lastForcedAt: 0, lastFailureAt: 0 };
      this.cache.set(key, entry);
    }
    return entry;
  }

  private refresh(
    entry: CacheEntry,
    tenantId: string,
    version: TokenVersion,
  ): Promise<TenantSigningKeys> {
    entry.inflight ??= this.fetchKeys(tenantId, version)
      .then((value) => {
        entry.value = value;
        entry.fetchedAt = Date.now();
        return value;
      })
      .catch((error: unknown) => {
        entry.lastFailureAt = Date.now();
        this.logger.warn(
          `Fetching signing keys for tenant ${tenantId} (v${version}) failed: ${(error as Error).message}` +
            (entry.value ? '; keeping the last good key set.' : ''),
        );
        throw error;
      })
      .finally(() => {
        entry.inflight = undefined;
      });
    return entry.inflight;
  }

  private async fetchKeys(tenantId: string, version: TokenVersion): Promise<TenantSigningKeys> {
    const metadata = await fetchJson(
      this.metadataUrl(tenantId, version),
      this.options.fetchTimeoutMs,
    );
    const issuer = metadata.issuer;
    const jwksUri = metadata.jwks_uri;
    if (typeof issuer !== 'string' || typeof jwksUri !== 'string') {
      throw new Error('OpenID metadata lacks issuer or jwks_uri');
    }
    const jwks = await fetchJson(jwksUri, this.options.fetchTimeoutMs);
    if (!Array.isArray(jwks.keys)) throw new Error('key set has no keys array');
    return { issuer, keys: jwks.keys as JWK[] };
  }
}
