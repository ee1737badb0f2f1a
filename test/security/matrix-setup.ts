import { Controller, Get, UseGuards, type LoggerService } from '@nestjs/common';
import { decodeJwt, generateKeyPair, type KeyLike } from 'jose';
import {
  CurrentUser,
  NotificationsAuthGuard,
  type AuthenticatedUser,
  type NotificationsModuleOptions,
} from '../../lib';
import { CaptureLogger } from '../utils/capture-logger';
import { startLibraryApp, type LibraryApp } from '../utils/library-app';
import {
  LocalIdentityProvider,
  randomGuid,
  type IdpKey,
  type TokenOptions,
} from '../utils/identity-provider';

export const REQUIRED_SCOPE = 'Notifications.Read';
/** The scopes of an ordinary token in this suite: enough for the HTTP guard of the main app. */
export const USER_SCOPES = `access_as_user ${REQUIRED_SCOPE}`;

@Controller('api/me')
@UseGuards(NotificationsAuthGuard)
class MeController {
  @Get()
  me(@CurrentUser() user: AuthenticatedUser) {
    return { userId: user.userId };
  }
}

/** A library app plus a guarded route, with every log line going to `logger`. */
function startApp(options: NotificationsModuleOptions, logger: LoggerService): Promise<LibraryApp> {
  return startLibraryApp(options, { controllers: [MeController], logger });
}

/**
 * What the security matrix shares between its cases: the identity provider, its keys, the two
 * apps under test (filled in by `start()`), and the minting helpers that record every credential
 * sent so that the log check can look for it.
 */
export class SecurityMatrix {
  readonly logger = new CaptureLogger();
  /** Every token or raw credential this suite sent: none may appear in any log line. */
  readonly sent: string[] = [];
  queryToken = '';

  idp!: LocalIdentityProvider;
  main!: LibraryApp;
  /** A second app whose only audience is the bare client id. */
  bare!: LibraryApp;
  /** Both in the allow-list and served by the IdP. */
  tenant = '';
  secondTenant = '';
  /** In the allow-list, but the IdP does not know it: its keys can never be had. */
  unservedTenant = '';
  /** Published in the key set with the v2 issuer (a control: its tokens are accepted). */
  secondKey!: IdpKey;
  /** Published in the v2 key set with `issuer: https://evil.example/{tenantid}/v2.0`. */
  evilKey!: IdpKey;
  attackerRsa!: KeyLike;
  attackerEc!: KeyLike;

  readonly remember = (token: string) => {
    this.sent.push(token);
    return token;
  };
  /** A user token that passes on the main app unless `opts` breaks it. */
  readonly mint = async (opts: TokenOptions = {}) =>
    this.remember(await this.idp.issueToken({ scp: USER_SCOPES, ...opts }));
  /** The header and payload of a valid token, to sign differently. */
  readonly validParts = async (opts: TokenOptions = {}) => {
    const token = this.remember(await this.idp.issueToken({ scp: USER_SCOPES, ...opts }));
    const [header] = token.split('.');
    return {
      header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
      payload: decodeJwt(token) as Record<string, unknown>,
      token,
    };
  };

  async start(): Promise<void> {
    this.tenant = randomGuid();
    this.secondTenant = randomGuid();
    this.unservedTenant = randomGuid();
    const idp = await LocalIdentityProvider.start({ tenants: [this.tenant, this.secondTenant] });
    this.idp = idp;
    // Published before any app fetches keys, so both are in the cached key set from the start and
    // the evil key's refusal comes from its issuer property, not from an unknown kid.
    this.secondKey = await idp.addKey();
    this.evilKey = await idp.addKey({ issuer: 'https://evil.example/{tenantid}/v2.0' });
    this.attackerRsa = (await generateKeyPair('RS256')).privateKey;
    this.attackerEc = (await generateKeyPair('ES256')).privateKey;

    this.main = await startApp(
      {
        auth: {
          tenants: [this.tenant, this.secondTenant, this.unservedTenant],
          audiences: [idp.audience, idp.clientId],
          authorityHost: idp.authorityHost,
          clockToleranceSeconds: 60,
          requiredScopes: [REQUIRED_SCOPE],
        },
      },
      this.logger,
    );
    this.bare = await startApp(
      {
        auth: {
          tenants: [this.tenant],
          audiences: [idp.clientId],
          authorityHost: idp.authorityHost,
        },
      },
      this.logger,
    );
  }

  async stop(): Promise<void> {
    await this.main?.close();
    await this.bare?.close();
    await this.idp?.stop();
  }
}
