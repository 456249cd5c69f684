/**
 * The stand-in plays real servers by default (plex-facts.md "JWT as real servers meet it"), and
 * its demo pages lead a person through sign-in, revocation and the JWT cutover without plex.tv.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { DeviceKey, HttpClient, MediaServerClient, PlexError, PlexTvClient } from '../../src/core';

const identity = { clientIdentifier: 'real-servers-client', product: 'Node-RED', deviceName: 'Test' };
const keyDeviceIdentity = { ...identity, clientIdentifier: 'real-servers-key-device' };

async function refusal(promise: Promise<unknown>): Promise<PlexError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PlexError);
    return error;
  }
  assert.fail('it was taken');
}

describe('the stand-in as real Plex servers are in 2026', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 3000 });
  let plexTv: PlexTvClient;
  let device: PlexTvClient;
  before(async () => {
    await standIn.start();
    plexTv = new PlexTvClient(identity, http, standIn.url);
    device = new PlexTvClient(keyDeviceIdentity, http, standIn.url);
  });
  after(async () => {
    http.close();
    await standIn.stopServers();
    await standIn.stop();
  });

  /** A standard token for `identity`, a key device approved with it, and the key device's Plex JWT. */
  async function signedInWithKeyDevice(): Promise<{ token: string; jwt: string }> {
    const pin = (await plexTv.createPin({ strong: true })).value;
    const token = standIn.approve(pin.id, 'real-user');
    const key = await DeviceKey.generate();
    const keyPin = (await device.createPinWithKey({ jwk: key.publicJwk, strong: true })).value;
    await plexTv.approvePin(keyPin.code, token);
    const { value } = await device.checkPinWithKey(keyPin.id, { deviceJwt: await device.deviceJwtFor(key), kid: key.kid });
    return { token, jwt: value.jwt!.token };
  }

  it('approves a key PIN linked with the standard token: no person, and its poll brings a Plex JWT for that device only', async () => {
    const { token, jwt } = await signedInWithKeyDevice();
    assert.equal(standIn.plexJwts.get(jwt)?.clientIdentifier, keyDeviceIdentity.clientIdentifier);
    assert.equal((await plexTv.getUser(token)).value.username, 'real-user', 'the standard token of the other identifier still works');
  });

  it('a server answers 401 to every Plex JWT, and takes the standard token', async () => {
    const { token, jwt } = await signedInWithKeyDevice();
    const server = new MediaServerClient(standIn.url, identity, http);
    assert.equal((await refusal(server.transientToken(jwt))).status, 401);
    assert.equal(await server.takesToken(jwt), false);
    assert.ok((await server.transientToken(token)).value.token);
  });

  it("a JWT issued for a client identifier ends that identifier's standard token", async () => {
    const pin = (await plexTv.createPin({ strong: true })).value;
    const token = standIn.approve(pin.id, 'ended-user');
    const key = await DeviceKey.generate();
    await plexTv.registerDeviceKey(token, key.publicJwk);
    await plexTv.obtainPlexJwt(key); // on the account's own identifier: what version 0.2 did
    assert.equal((await refusal(plexTv.getUser(token))).code, 'PLEX_TOKEN_REJECTED');
  });

  it('lists an owned server with a server-scoped JWT when asked with a Plex JWT, with the standard token otherwise; the switch makes servers take JWTs', async () => {
    const owned = await standIn.addServer({ name: 'Owned', connections: [{ local: true }] });
    const { token, jwt } = await signedInWithKeyDevice();
    const withToken = (await plexTv.servers(token)).value.find((server) => server.machineIdentifier === owned.standIn.machineIdentifier)!;
    assert.equal(withToken.accessToken.split('.').length, 1);
    const withJwt = (await device.servers(jwt)).value.find((server) => server.machineIdentifier === owned.standIn.machineIdentifier)!;
    assert.equal(withJwt.accessToken.split('.').length, 3);
    assert.ok(withJwt.accessToken.length > 200);
    const server = new MediaServerClient(owned.standIn.url, identity, http);
    assert.equal(await server.takesToken(withJwt.accessToken), false);
    standIn.setTakesPlexJwts(true);
    try {
      assert.equal(await server.takesToken(withJwt.accessToken), true);
    } finally {
      standIn.setTakesPlexJwts(false);
    }
  });

  it('its demo pages: the approval page a sign-in link names, plex.tv/link, revoking a token, the JWT switch', async () => {
    const strong = (await plexTv.createPin({ strong: true })).value;
    const page = await (await fetch(plexTv.approvalPageOf(strong))).text();
    assert.match(page, new RegExp(`data-code="${strong.code}"`));
    const code = (await plexTv.createPin({ strong: false })).value;
    const linked = await (
      await fetch(`${standIn.url}/link`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `code=${code.code.toLowerCase()}`,
      })
    ).text();
    assert.match(linked, /Linked/);
    const token = (await plexTv.checkPin(code.id)).value.authToken!;
    assert.equal((await plexTv.getUser(token)).value.username, 'demo-user');
    await fetch(`${standIn.url}/demo/revoke/${code.id}`, { method: 'POST', redirect: 'manual' });
    assert.equal((await refusal(plexTv.getUser(token))).code, 'PLEX_TOKEN_REJECTED');
    await fetch(`${standIn.url}/demo/jwt/on`, { method: 'POST', redirect: 'manual' });
    assert.equal(standIn.takesPlexJwts, true);
    await fetch(`${standIn.url}/demo/jwt/off`, { method: 'POST', redirect: 'manual' });
    assert.equal(standIn.takesPlexJwts, false);
  });
});
