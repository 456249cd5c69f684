import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { inspect } from 'node:util';
import { DeviceKey, PlexJwtKeys, verifyPlexJwt, PlexError, DEVICE_JWT_SCOPE } from '../../src/core';
import { loadJose } from '../../src/core/jose';
import { ed25519, makePlexJwt, publicJwkOf, unsignedJwt } from './jwt-helpers';

const clientIdentifier = 'client-jwt-1';

async function refusalOf(promise: Promise<unknown>): Promise<PlexError> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof PlexError, String(error));
  assert.equal(error.kind, 'response');
  assert.equal(error.code, 'PLEX_BAD_ANSWER');
  return error;
}

describe('device key', () => {
  it('computes the RFC 7638 thumbprint of the RFC 8037 A.3 example key', async () => {
    const { calculateJwkThumbprint } = await loadJose();
    // RFC 8037 appendix A.2/A.3: public key x and its thumbprint.
    const thumbprint = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
    assert.equal(thumbprint, 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    // The same key as a PKCS#8 PEM (RFC 8037 A.1's d): DeviceKey gives the same kid.
    const d = Buffer.from('nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', 'base64url');
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), d]);
    const pem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const key = await DeviceKey.fromPrivateKey(pem);
    assert.deepEqual(key.publicJwk, {
      kty: 'OKP',
      crv: 'Ed25519',
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      alg: 'EdDSA',
      use: 'sig',
      kid: thumbprint,
    });
  });

  it('exports the private key as PKCS#8 PEM and imports it back to the same key', async () => {
    const key = await DeviceKey.generate();
    const pem = key.exportPrivateKey();
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
    const again = await DeviceKey.fromPrivateKey(pem);
    assert.deepEqual(again.publicJwk, key.publicJwk);
    assert.equal(Object.isFrozen(key.publicJwk), true);
    assert.notDeepEqual((await DeviceKey.generate()).publicJwk, key.publicJwk);
  });

  it('never shows the private key in JSON or util.inspect, and refuses a bad saved key without repeating it', async () => {
    const key = await DeviceKey.generate();
    const secret = key.exportPrivateKey().split('\n')[1];
    assert.ok(!JSON.stringify(key).includes(secret));
    assert.ok(!JSON.stringify({ key }).includes('"d"'));
    assert.ok(!inspect(key, { showHidden: true, depth: 5 }).includes(secret));
    const garbage = 'not-a-key-but-a-secret-123';
    const error = await DeviceKey.fromPrivateKey(garbage).then(
      () => assert.fail('accepted'),
      (caught: PlexError) => caught,
    );
    assert.equal(error.code, 'PLEX_BAD_INPUT');
    assert.ok(!error.message.includes(garbage));
    const rsa = (await import('node:crypto'))
      .generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    assert.match(((await DeviceKey.fromPrivateKey(rsa).catch((caught: PlexError) => caught)) as PlexError).message, /is an rsa key, not Ed25519/);
  });

  it('signs a device JWT with the header and claims plex.tv asks for, verifiable with the public JWK', async () => {
    const { jwtVerify, importJWK, decodeProtectedHeader } = await loadJose();
    const key = await DeviceKey.generate();
    const now = Date.now();
    const jwt = await key.signDeviceJwt({ nonce: 'nonce-1', clientIdentifier, now });
    assert.deepEqual(decodeProtectedHeader(jwt), { kid: key.kid, alg: 'EdDSA', typ: 'JWT' });
    const { payload } = await jwtVerify(jwt, await importJWK({ ...key.publicJwk }, 'EdDSA'), { algorithms: ['EdDSA'] });
    const iat = Math.floor(now / 1000);
    assert.deepEqual(payload, { nonce: 'nonce-1', scope: DEVICE_JWT_SCOPE, aud: 'plex.tv', iss: clientIdentifier, iat, exp: iat + 300 });
    const other = await DeviceKey.generate();
    await assert.rejects(jwtVerify(jwt, await importJWK({ ...other.publicJwk }, 'EdDSA')), /signature verification failed/);
  });
});

describe('verifyPlexJwt', async () => {
  const plexTv = ed25519();
  const keys = await PlexJwtKeys.from([await publicJwkOf(plexTv.publicKey)]);
  const kid = 'device-kid';
  const expect = { clientIdentifier, kid };
  const good = (fields: Partial<Parameters<typeof makePlexJwt>[0]> = {}) => makePlexJwt({ signer: plexTv.privateKey, clientIdentifier, kid, ...fields });

  it('accepts a good one and reads its times and user', async () => {
    const token = await good({ expiresInSec: 600 });
    const verified = await verifyPlexJwt(token, keys, expect);
    assert.equal(verified.token, token);
    assert.equal(verified.expiresAt - verified.issuedAt, 600_000);
    assert.ok(Math.abs(verified.expiresAt - (Date.now() + 600_000)) < 2000);
    assert.deepEqual(verified.user, { id: 1, username: 'someone' });
  });

  const refusals: Array<[string, () => Promise<string>, string]> = [
    ['another signing key', () => makePlexJwt({ signer: ed25519().privateKey, clientIdentifier, kid }), 'signature'],
    ['an audience without this client', () => good({ aud: ['plex.tv', 'someone-else'] }), 'aud'],
    ['an audience without plex.tv', () => good({ aud: [clientIdentifier] }), 'aud'],
    ['another thumbprint', () => good({ thumbprint: 'another-device' }), 'thumbprint'],
    ['another issuer', () => good({ iss: 'evil.example' }), 'iss'],
    ['an expired token', () => good({ expiresInSec: -5 }), 'exp'],
    [
      'alg none',
      async () => unsignedJwt({ iss: 'plex.tv', aud: ['plex.tv', clientIdentifier], thumbprint: kid, exp: Math.floor(Date.now() / 1000) + 600 }),
      'alg',
    ],
    [
      'HS256 keyed with the public key bytes',
      async () => {
        const { SignJWT } = await loadJose();
        const secret = createPublicKey(plexTv.privateKey).export({ format: 'der', type: 'spki' });
        return new SignJWT({ thumbprint: kid })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('plex.tv')
          .setAudience(['plex.tv', clientIdentifier])
          .setExpirationTime('1h')
          .sign(new Uint8Array(secret));
      },
      'alg',
    ],
    ['text that is not a JWT', async () => 'not.a-jwt', 'token'],
  ];
  for (const [what, make, field] of refusals) {
    it(`refuses ${what}, naming ${field} and never the token`, async () => {
      const token = await make();
      const error = await refusalOf(verifyPlexJwt(token, keys, expect));
      assert.equal(error.field, field);
      assert.ok(!error.message.includes(token) && !JSON.stringify(error).includes(token));
      for (const part of token.split('.').filter((p) => p.length > 8)) assert.ok(!error.message.includes(part));
    });
  }

  it('tries every key: a token signed with the second of two keys passes', async () => {
    const first = ed25519();
    const both = await PlexJwtKeys.from([await publicJwkOf(first.publicKey), { kty: 'RSA', n: 'x', e: 'AQAB' }, await publicJwkOf(plexTv.publicKey)]);
    assert.equal(both.keys.length, 2);
    await verifyPlexJwt(await good(), both, expect);
    const onlyFirst = await PlexJwtKeys.from([await publicJwkOf(first.publicKey)]);
    assert.equal((await refusalOf(verifyPlexJwt(await good(), onlyFirst, expect))).field, 'signature');
  });

  it('refuses everything when plex.tv listed no Ed25519 key', async () => {
    const none = await PlexJwtKeys.from([{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }, null, 'text']);
    assert.match((await refusalOf(verifyPlexJwt(await good(), none, expect))).message, /no Ed25519 key/);
  });
});
