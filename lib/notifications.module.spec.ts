import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { io } from 'socket.io-client';
import type { AuthenticatedUser } from './auth/authenticated-user';
import { TokenVerifier, type VerifiedToken } from './auth/token-verifier';
import { UserResolver } from './auth/user-resolver';
import { OidUserResolver } from './auth/oid-user.resolver';
import { EntraTokenVerifier } from './auth/entra-token.verifier';
import { AuthError } from './errors/auth.error';
import { TaskGateway } from './gateway/task.gateway';
import { NotificationService } from './notification.service';
import { NOTIFICATIONS_RESOLVED_OPTIONS } from './notifications.constants';
import { NotificationsModule } from './notifications.module';
import type { NotificationsOptionsFactory } from './notifications.module-definition';
import type { NotificationsModuleOptions } from './options/notifications-options.interface';
import type { ResolvedNotificationsOptions } from './options/resolved-options';
import { OwnerOnlyRunAccessPolicy, RunAccessPolicy } from './runs/run-access.policy';
import { MemoryRunStore } from './runs/memory-run.store';
import { RunStore, type RunRecord } from './runs/run-store';
import { RedisIoAdapter } from './scale-out/redis-io.adapter';

const TENANT = '11111111-1111-4111-8111-111111111111';
const options: NotificationsModuleOptions = {
  auth: { tenants: [TENANT], audiences: ['api://test'] },
};

/** A verifier for module tests: the token is the user id. */
class StaticVerifier extends TokenVerifier {
  async verify(token: string): Promise<VerifiedToken> {
    if (token === 'bad') throw new AuthError('token_invalid', 'bad');
    return { claims: { oid: token, sub: token }, expiresAt: Date.now() + 3_600_000 };
  }
}

@Injectable()
class OptionsFactory implements NotificationsOptionsFactory {
  createNotificationsOptions(): NotificationsModuleOptions {
    return options;
  }
}

@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class OptionsModule {}

async function compile(imports: unknown[]) {
  const moduleRef = await Test.createTestingModule({ imports: imports as never[] }).compile();
  return moduleRef;
}

describe('NotificationsModule', () => {
  it('forRoot: provides the services with defaults applied', async () => {
    const moduleRef = await compile([NotificationsModule.forRoot(options)]);
    expect(moduleRef.get(NotificationService)).toBeInstanceOf(NotificationService);
    expect(moduleRef.get(TokenVerifier)).toBeInstanceOf(EntraTokenVerifier);
    expect(moduleRef.get(UserResolver)).toBeInstanceOf(OidUserResolver);
    expect(moduleRef.get(RunAccessPolicy)).toBeInstanceOf(OwnerOnlyRunAccessPolicy);
    expect((moduleRef.get(RunStore) as unknown as { inner: RunStore }).inner).toBeInstanceOf(
      MemoryRunStore,
    );
    expect(moduleRef.get(TaskGateway)).toBeInstanceOf(TaskGateway);
    const resolved = moduleRef.get<ResolvedNotificationsOptions>(NOTIFICATIONS_RESOLVED_OPTIONS);
    expect(resolved.limits).toEqual({
      maxSubscriptionsPerConnection: 100,
      subscribesPerSecond: 20,
      maxMessageBytes: 65536,
      maxConnectionsPerUser: 20,
    });
    expect(resolved.presence).toEqual({ heartbeatSeconds: 10, ttlSeconds: 30 });
    expect(resolved.auth?.authorityHost).toBe('https://login.microsoftonline.com');
    await moduleRef.close();
  });

  it('forRootAsync with useFactory, inject and imports', async () => {
    const moduleRef = await compile([
      NotificationsModule.forRootAsync({
        imports: [OptionsModule],
        inject: [OptionsFactory],
        useFactory: (factory: OptionsFactory) => ({
          ...factory.createNotificationsOptions(),
          limits: { maxSubscriptionsPerConnection: 7 },
        }),
      }),
    ]);
    const resolved = moduleRef.get<ResolvedNotificationsOptions>(NOTIFICATIONS_RESOLVED_OPTIONS);
    expect(resolved.limits.maxSubscriptionsPerConnection).toBe(7);
    await moduleRef.close();
  });

  it('forRootAsync with an async useFactory', async () => {
    const moduleRef = await compile([
      NotificationsModule.forRootAsync({ useFactory: async () => ({ ...options, path: '/rt' }) }),
    ]);
    expect(moduleRef.get<ResolvedNotificationsOptions>(NOTIFICATIONS_RESOLVED_OPTIONS).path).toBe(
      '/rt',
    );
    await moduleRef.close();
  });

  it('forRootAsync with useClass', async () => {
    const moduleRef = await compile([
      NotificationsModule.forRootAsync({ useClass: OptionsFactory }),
    ]);
    expect(
      moduleRef.get<ResolvedNotificationsOptions>(NOTIFICATIONS_RESOLVED_OPTIONS).auth?.tenants,
    ).toEqual([TENANT]);
    await moduleRef.close();
  });

  it('forRootAsync with useExisting', async () => {
    const moduleRef = await compile([
      NotificationsModule.forRootAsync({ imports: [OptionsModule], useExisting: OptionsFactory }),
    ]);
    expect(
      moduleRef.get<ResolvedNotificationsOptions>(NOTIFICATIONS_RESOLVED_OPTIONS).auth?.audiences,
    ).toEqual(['api://test']);
    await moduleRef.close();
  });

  it('isGlobal: feature modules inject NotificationService without importing the module', async () => {
    @Injectable()
    class Feature {
      constructor(readonly notifications: NotificationService) {}
    }
    @Module({ providers: [Feature] })
    class FeatureModule {}
    const moduleRef = await compile([
      NotificationsModule.forRoot({ ...options, isGlobal: true }),
      FeatureModule,
    ]);
    expect(moduleRef.get(Feature).notifications).toBeInstanceOf(NotificationService);
    await moduleRef.close();
  });

  it('without isGlobal, a feature module that does not import it cannot resolve NotificationService', async () => {
    @Injectable()
    class Feature {
      constructor(readonly notifications: NotificationService) {}
    }
    @Module({ providers: [Feature] })
    class FeatureModule {}
    await expect(compile([NotificationsModule.forRoot(options), FeatureModule])).rejects.toThrow(
      /NotificationService/,
    );
  });

  it('replaces the verifier, resolver and access policy with classes or instances', async () => {
    class SubResolver extends UserResolver {
      resolve(token: VerifiedToken) {
        return token.claims.sub as string;
      }
    }
    const policy = new (class extends RunAccessPolicy {
      canSubscribe(_user: AuthenticatedUser, _run: RunRecord) {
        return true;
      }
    })();
    const moduleRef = await compile([
      NotificationsModule.forRoot({
        tokenVerifier: StaticVerifier,
        userResolver: SubResolver,
        accessPolicy: policy,
      }),
    ]);
    expect(moduleRef.get(TokenVerifier)).toBeInstanceOf(StaticVerifier);
    expect(moduleRef.get(UserResolver)).toBeInstanceOf(SubResolver);
    expect(moduleRef.get(RunAccessPolicy)).toBe(policy);
    await moduleRef.close();
  });

  it.each([
    [{}, /no token validation configured/],
    [{ auth: { tenants: [], audiences: ['a'] } }, /auth\.tenants is empty/],
    [
      { auth: { tenants: ['contoso.onmicrosoft.com'], audiences: ['a'] } },
      /must hold tenant GUIDs/,
    ],
    [{ auth: { tenants: [TENANT], audiences: [] } }, /auth\.audiences is empty/],
    [
      { auth: { tenants: [TENANT], audiences: ['a'], authorityHost: 'http://login.example.com' } },
      /https/,
    ],
    [{ ...options, redis: { url: 'http://localhost:6379' } }, /redis:\/\//],
    [{ ...options, redis: { url: 'redis://x', mode: 'cluster' } }, /'classic' or 'sharded'/],
    [{ ...options, limits: { maxSubscriptionsPerConnection: 0 } }, /positive integer/],
    [{ ...options, path: 'socket.io' }, /path must start with/],
    [{ ...options, connectionClaims: 'roles' }, /connectionClaims must be a list of claim names/],
    [
      { ...options, presence: { heartbeatSeconds: 10, ttlSeconds: 10 } },
      /must exceed presence\.heartbeatSeconds/,
    ],
  ])(
    'invalid options fail at bootstrap with a message that says what to fix (%#)',
    async (given, message) => {
      await expect(
        compile([NotificationsModule.forRoot(given as NotificationsModuleOptions)]),
      ).rejects.toThrow(message);
    },
  );

  it('forRootAsync options are validated too', async () => {
    await expect(
      compile([
        NotificationsModule.forRootAsync({
          useFactory: () => ({ auth: { tenants: ['x'], audiences: ['a'] } }),
        }),
      ]),
    ).rejects.toThrow(/NotificationsModule: auth\.tenants must hold tenant GUIDs/);
  });

  describe('as an app', () => {
    let app: INestApplication | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    async function start(
      moduleOptions: NotificationsModuleOptions & { namespace?: string },
      adapter = true,
    ) {
      const moduleRef = await Test.createTestingModule({
        imports: [NotificationsModule.forRoot(moduleOptions)],
      }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      if (adapter) app.useWebSocketAdapter(new RedisIoAdapter(app));
      await app.listen(0, '127.0.0.1');
      return app.getUrl();
    }

    it('refuses to start without RedisIoAdapter, saying how to install it', async () => {
      await expect(start({ tokenVerifier: StaticVerifier }, false)).rejects.toThrow(
        /app\.useWebSocketAdapter\(new RedisIoAdapter\(app\)\)/,
      );
    });

    it('serves the gateway on a custom namespace and path', async () => {
      const url = await start({ tokenVerifier: StaticVerifier, namespace: '/rt', path: '/ws' });
      const socket = io(`${url}/rt`, {
        path: '/ws',
        auth: { token: 'user-1' },
        forceNew: true,
        reconnection: false,
        transports: ['websocket'],
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const ack = await socket.timeout(2000).emitWithAck('subscribeToRun', 'missing-run');
      expect(ack).toMatchObject({ ok: false, error: { code: 'not_found' } });
      socket.close();
    });
  });
});
