import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createPrivateKey } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, PlexTvClient, DeviceKey, identityHeaders, PlexError } from '../../src/core';
import { loadJose } from '../../src/core/jose';
import { plexErrorOf } from './loopback';

const identity = { clientIdentifier: 'jwt-client', product: 'Home Automation', deviceName: 'Attic Pi' };

describe('the stand-in refuses what plex.tv would refuse (JWT sign-in)', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 3000 });
  let plexTv: PlexTvClient;
  let key: DeviceKey;
  /** A raw call, to send what our client never would. */
  const call = (method: 'GET' | 'POST', path: string, options: { json?: unknown; token?: string; clientIdentifier?: string } = {}) =>
    http.request({
      method,
      url: new URL(`${standIn.url}${path}`),
      headers: identityHeaders({ ...identity, clientIdentifier: options.clientIdentifier ?? identity.clientIdentifier }),
      body: options.json === undefined ? undefined : { contentType: 'application/json', content: JSON.stringify(options.json) },
      bodyOptional: true,
      token: options.token,
      peer: 'plex.tv',
    });

  before(async () => {
    await standIn.start();
    plexTv = new PlexTvClient(identity, http, standIn.url);
    key = await DeviceKey.generate();
  });
  after(async () => {
    http.close();
    await standIn.stop();
  });

  it('signs in with a key PIN: no token before approval, then a verified Plex JWT that plex.tv and the server accept', async () => {
    const { value: pin } = await plexTv.createPinWithKey({ jwk: key.publicJwk, strong: true });
    assert.equal(pin.code.length, 25);
    assert.deepEqual(standIn.pins.get(pin.id)!.jwk, key.publicJwk);
    assert.equal((await plexTv.createPinWithKey({ jwk: key.publicJwk, strong: false })).value.code.length, 4);
    const deviceJwt = await plexTv.deviceJwtFor(key);
    assert.equal((await plexTv.checkPinWithKey(pin.id, { deviceJwt, kid: key.kid })).value.authToken, null);
    standIn.approve(pin.id, 'key-user');
    const { value: state } = await plexTv.checkPinWithKey(pin.id, { deviceJwt, kid: key.kid });
    assert.ok(state.authToken && standIn.plexJwts.has(state.authToken));
    assert.ok(Math.abs(state.jwt!.expiresAt - (Date.now() + 7 * 24 * 3600_000)) < 5000);
    assert.equal((await plexTv.getUser(state.authToken)).value.username, 'key-user');
    const poll = [...standIn.requests].reverse().find((r) => r.path.startsWith(`/api/v2/pins/${pin.id}`))!;
    assert.ok(poll.path.includes('deviceJWT='));
    // Without a device JWT the approved PIN hands out no token.
    assert.equal((await plexTv.checkPin(pin.id)).value.authToken, null);
  });

  it('refuses a private JWK, a poll signed with another key, and a nonce used for another purpose', async () => {
    const withSecret = { ...key.publicJwk, d: 'AAAA' };
    assert.equal((await plexErrorOf(call('POST', '/api/v2/pins', { json: { jwk: withSecret } }))).status, 400);
    const { value: pin } = await plexTv.createPinWithKey({ jwk: key.publicJwk, strong: true });
    const impostor = await DeviceKey.generate();
    const forged = await impostor.signDeviceJwt({ nonce: await plexTv.getNonce(), clientIdentifier: identity.clientIdentifier });
    const error = await plexErrorOf(plexTv.checkPinWithKey(pin.id, { deviceJwt: forged, kid: key.kid }));
    assert.equal(error.status, 422);
    assert.equal(error.plexMessage, 'Signature Verification Failed');
    // One PIN's nonce is good for its polls and nothing else.
    const deviceJwt = await plexTv.deviceJwtFor(key);
    await plexTv.checkPinWithKey(pin.id, { deviceJwt, kid: key.kid });
    await plexTv.checkPinWithKey(pin.id, { deviceJwt, kid: key.kid });
    const other = await plexTv.createPinWithKey({ jwk: key.publicJwk, strong: true });
    assert.equal((await plexErrorOf(plexTv.checkPinWithKey(other.value.id, { deviceJwt, kid: key.kid }))).status, 422);
    assert.equal((await plexErrorOf(call('GET', '/api/v2/auth/nonce', { clientIdentifier: '' }))).status, 422);
  });

  it('moves a classic account to JWT; refuses a taken thumbprint, a wrong signature, a used nonce', async () => {
    const classic = standIn.addAccount('classic-user');
    const moving = await DeviceKey.generate();
    await plexTv.registerDeviceKey(classic, moving.publicJwk);
    const other = new PlexTvClient({ ...identity, clientIdentifier: 'another-device' }, http, standIn.url);
    const taken = await plexErrorOf(other.registerDeviceKey(classic, moving.publicJwk));
    assert.deepEqual([taken.status, taken.plexMessage], [422, 'Thumbprint Already Taken']);
    assert.equal((await plexErrorOf(plexTv.registerDeviceKey('not-a-token', moving.publicJwk))).status, 401);

    const deviceJwt = await plexTv.deviceJwtFor(moving);
    const jwt = await plexTv.exchangeDeviceJwt(deviceJwt, moving.kid);
    assert.equal((await plexTv.getUser(jwt.token)).value.username, 'classic-user');
    const reused = await plexErrorOf(plexTv.exchangeDeviceJwt(deviceJwt, moving.kid));
    assert.equal(reused.status, 422);

    // Signed with another key under the registered kid: plex.tv checks the signature.
    const impostor = await DeviceKey.generate();
    const { SignJWT } = await loadJose();
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ nonce: await plexTv.getNonce(), scope: 'username' })
      .setProtectedHeader({ kid: moving.kid, alg: 'EdDSA', typ: 'JWT' })
      .setAudience('plex.tv')
      .setIssuer(identity.clientIdentifier)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(createPrivateKey(impostor.exportPrivateKey()));
    const refused = await plexErrorOf(call('POST', '/api/v2/auth/token', { json: { jwt: forged } }));
    assert.deepEqual([refused.status, refused.plexMessage], [422, 'Signature Verification Failed']);
  });

  it('answers 498 for an expired Plex JWT and 401 for a revoked one, on plex.tv and on the server', async () => {
    const classic = standIn.addAccount('expiring-user');
    const device = await DeviceKey.generate();
    await plexTv.registerDeviceKey(classic, device.publicJwk);
    const jwt = await plexTv.obtainPlexJwt(device);
    standIn.expirePlexJwt(jwt.token);
    assert.equal((await plexErrorOf(plexTv.getUser(jwt.token))).status, 498);
    const server = await plexErrorOf(call('GET', '/security/token?type=delegation&scope=all', { token: jwt.token }));
    assert.deepEqual([server.status, server.code], [498, 'PLEX_TOKEN_REJECTED']);

    const renewed = await plexTv.obtainPlexJwt(device);
    assert.equal((await plexTv.getUser(renewed.token)).value.username, 'expiring-user');
    standIn.revokePlexJwt(renewed.token);
    assert.equal((await plexErrorOf(plexTv.getUser(renewed.token))).status, 401);
    assert.equal((await plexErrorOf(call('GET', '/security/token?type=delegation&scope=all', { token: renewed.token }))).status, 401);
    // The device is gone too: no renewal with its key.
    assert.equal((await plexErrorOf(plexTv.obtainPlexJwt(device))).status, 422);
  });

  it('lists a spare key first: the client tries every key', async () => {
    const body = (await call('GET', '/api/v2/auth/keys')).body as { keys: Array<{ kid: string }> };
    assert.deepEqual(
      body.keys.map((k) => k.kid),
      ['plex-tv-spare', 'plex-tv-1'],
    );
  });

  it('sends no token in an error message: a refused Plex JWT is never repeated', async () => {
    const classic = standIn.addAccount('quiet-user');
    const device = await DeviceKey.generate();
    await plexTv.registerDeviceKey(classic, device.publicJwk);
    const jwt = await plexTv.obtainPlexJwt(device);
    const stranger = new PlexTvClient({ ...identity, clientIdentifier: 'stranger' }, http, standIn.url);
    const error = await plexErrorOf(stranger.verifyPlexJwt(jwt.token, device.kid));
    assert.equal(error.field, 'aud');
    assert.ok(!JSON.stringify(error).includes(jwt.token) && !error.message.includes(jwt.token.split('.')[1]));
  });
});

describe('with the default plexTvUrl the JWT calls go to clients.plex.tv', () => {
  it('asks for the nonce at clients.plex.tv (seen by a loopback proxy)', async () => {
    const seen: string[] = [];
    const proxy = net.createServer((socket) =>
      socket.once('data', (chunk) => {
        seen.push(chunk.toString('latin1').split('\r\n')[0]);
        socket.destroy();
      }),
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const saved = { https: process.env.HTTPS_PROXY, no: process.env.NO_PROXY };
    process.env.HTTPS_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    delete process.env.NO_PROXY;
    const http = new HttpClient({ timeoutMs: 3000 });
    try {
      const plexTv = new PlexTvClient(identity, http);
      const error = await plexErrorOf(plexTv.getNonce());
      assert.ok(error instanceof PlexError);
      assert.deepEqual(seen, ['CONNECT clients.plex.tv:443 HTTP/1.1']);
    } finally {
      if (saved.https === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved.https;
      if (saved.no !== undefined) process.env.NO_PROXY = saved.no;
      http.close();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
