'use strict';
/**
 * A local identity provider shaped like Microsoft Entra ID, for the benchmark: OpenID metadata and
 * key sets at Entra's paths on 127.0.0.1, and RS256 access tokens in Entra's v2 shape. Plain
 * CommonJS (the test suite's TypeScript one needs ts-jest). Tokens are signed with node:crypto so
 * the load clients can mint their own from the private key, as each user gets one from Entra.
 */
const { createServer } = require('node:http');
const {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
} = require('node:crypto');

const ROUTES = new Set([
  'v2.0/.well-known/openid-configuration',
  '.well-known/openid-configuration',
  'discovery/v2.0/keys',
  'discovery/keys',
]);

/** Starts the provider with one RSA-2048 key; resolves with its settings and a stop(). */
async function startIdentityProvider() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(20).toString('base64url');
  const { n, e } = publicKey.export({ format: 'jwk' });
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const authorityHost = `http://127.0.0.1:${server.address().port}`;
  const requests = { count: 0 };
  server.on('request', (req, res) => {
    requests.count++;
    const path = new URL(req.url || '/', authorityHost).pathname;
    const slash = path.indexOf('/', 1);
    const tenant = path.slice(1, slash);
    const route = path.slice(slash + 1);
    if (slash < 0 || !ROUTES.has(route)) return send(res, 404, { error: 'not_found' });
    if (tenant !== tenantId) return send(res, 400, { error: 'invalid_tenant' });
    const base = `${authorityHost}/${tenant}`;
    const jwk = (issuer) => ({ kty: 'RSA', use: 'sig', kid, x5t: kid, n, e, issuer });
    switch (route) {
      case 'v2.0/.well-known/openid-configuration':
        return send(res, 200, {
          issuer: `${base}/v2.0`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          id_token_signing_alg_values_supported: ['RS256'],
        });
      case '.well-known/openid-configuration':
        return send(res, 200, {
          issuer: `https://sts.windows.net/${tenant}/`,
          jwks_uri: `${base}/discovery/keys`,
          token_endpoint: `${base}/oauth2/token`,
          id_token_signing_alg_values_supported: ['RS256'],
        });
      case 'discovery/v2.0/keys':
        return send(res, 200, { keys: [jwk(`${authorityHost}/{tenantid}/v2.0`)] });
      default:
        return send(res, 200, { keys: [jwk('https://sts.windows.net/{tenantid}/')] });
    }
  });
  return {
    authorityHost,
    tenantId,
    clientId,
    audience: `api://${clientId}`,
    kid,
    /** PEM of the signing key, handed to the load clients so they mint tokens in parallel. */
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }),
    publicKeyPem: createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }),
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': status === 200 ? 'max-age=86400, private' : 'no-store',
  });
  res.end(json);
}

/**
 * A token minter for one identity provider's settings: `mint(oid)` returns an RS256 v2 access token
 * with Entra's claims (about 1.1 KB, like a real one).
 */
function createTokenMinter({ privateKeyPem, kid, authorityHost, tenantId, audience }) {
  const key = createPrivateKey(privateKeyPem);
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid })).toString(
    'base64url',
  );
  const azp = randomUUID();
  return function mint(oid, lifetimeSeconds = 4 * 3600) {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      aud: audience,
      iss: `${authorityHost}/${tenantId}/v2.0`,
      iat: now - 5,
      nbf: now - 5,
      exp: now + lifetimeSeconds,
      aio: randomBytes(60).toString('base64url'),
      azp,
      azpacr: '0',
      name: 'Bench User',
      oid,
      preferred_username: 'bench.user@contoso.example',
      rh: `0.${randomBytes(36).toString('base64url')}.`,
      scp: 'access_as_user',
      sub: randomBytes(32).toString('base64url'),
      tid: tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '2.0',
    };
    const body = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${body}.${sign('sha256', Buffer.from(body), key).toString('base64url')}`;
  };
}

/** The bench's user ids: GUIDs derived from an index, so every process agrees without a list. */
function userOid(index) {
  return `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
}

module.exports = { startIdentityProvider, createTokenMinter, userOid };
