/** Sign-ins from the dialog with awkward PINs: no QR code, the same PIN ids from two plex.tv URLs, 16-digit ids. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import type { NodeRed } from '../../dev/node-red-process';
import { delay } from '../support';
import { PASSWORD, json, startWithPackage, waitForOutcome } from './setup';

const identity = (plexTvUrl: string, name = 'Pins test') => ({ clientIdentifier: `client-${name}`, product: 'Node-RED', deviceName: name, plexTvUrl });

describe('sign-in from the dialog with awkward PINs, in a real node-red with adminAuth', () => {
  const standIn = new PlexStandIn();
  /** Two plex.tv stand-ins that hand out the same PIN ids. */
  const twinA = new PlexStandIn({ firstPinId: 424242 });
  const twinB = new PlexStandIn({ firstPinId: 424242 });
  /** Hands out 16-digit PIN ids. */
  const longIds = new PlexStandIn({ firstPinId: 9007199254740981 });
  let red: NodeRed;

  before(async () => {
    await Promise.all([standIn, twinA, twinB, longIds].map((each) => each.start()));
    red = await startWithPackage();
    await red.login('admin', PASSWORD);
  });
  after(async () => {
    await red?.stop();
    await Promise.all([standIn, twinA, twinB, longIds].map((each) => each.stop()));
  });

  it('signs in when the auth URL is too long for a QR code: no QR, the link and the code still work', async () => {
    const long = 'ü'.repeat(200);
    const started = await json(
      await red.admin('POST', '/plex-auth/accounts/noqr000000000001/pin', { clientIdentifier: long, product: long, deviceName: long, plexTvUrl: standIn.url }),
    );
    assert.equal(started.status, 200, started.text);
    assert.equal(started.body.qrSvg, null);
    assert.ok(started.body.authUrl.startsWith(`${standIn.url}/auth#?clientID=`), started.body.authUrl);
    assert.match(started.body.code, /^[A-Z0-9]{4}$/);
    const link = [...standIn.pins.values()].find((pin) => !pin.strong && pin.code === started.body.code)!;
    standIn.approve(link.id, 'long-name-user');
    assert.deepEqual(await waitForOutcome(red, 'noqr000000000001', started.body.pinId), { state: 'approved', username: 'long-name-user', message: null });
    const polls = () => standIn.requests.filter((request) => /^\/api\/v2\/pins\/\d+$/.test(request.path)).length;
    const after = polls();
    await delay(3000);
    assert.equal(polls(), after, 'nothing polls after the sign-in ended');
  });

  it('runs one sign-in at a time per account: a new one stops polling the PINs of the one before', async () => {
    const first = (await json(await red.admin('POST', '/plex-auth/accounts/again00000000001/pin', identity(standIn.url, 'again')))).body;
    const second = (await json(await red.admin('POST', '/plex-auth/accounts/again00000000001/pin', identity(standIn.url, 'again')))).body;
    assert.equal((await red.admin('GET', `/plex-auth/accounts/again00000000001/pin/${first.pinId}`)).status, 404);
    const polled = (pinId: number) => standIn.requests.filter((request) => request.path === `/api/v2/pins/${pinId}`).length;
    await delay(200); // a poll already on its way may still arrive
    const before = polled(first.pinId);
    standIn.approve(second.pinId, 'again-user');
    assert.equal((await waitForOutcome(red, 'again00000000001', second.pinId)).username, 'again-user');
    assert.equal(polled(first.pinId), before, 'the first sign-in is polled no more');
  });

  it('finishes two sign-ins whose plex.tv URLs hand out the same PIN ids', async () => {
    const first = (await json(await red.admin('POST', '/plex-auth/accounts/twina00000000001/pin', identity(twinA.url, 'twin-a')))).body;
    const second = (await json(await red.admin('POST', '/plex-auth/accounts/twinb00000000001/pin', identity(twinB.url, 'twin-b')))).body;
    assert.equal(first.pinId, second.pinId, 'the stand-ins gave the same id');
    twinA.approve(first.pinId, 'user-a');
    twinB.approve(second.pinId, 'user-b');
    assert.equal((await waitForOutcome(red, 'twina00000000001', first.pinId)).username, 'user-a');
    assert.equal((await waitForOutcome(red, 'twinb00000000001', second.pinId)).username, 'user-b');
  });

  it('follows and cancels a sign-in whose PIN id has 16 digits', async () => {
    const started = (await json(await red.admin('POST', '/plex-auth/accounts/long000000000001/pin', identity(longIds.url, 'long')))).body;
    assert.equal(started.pinId, 9007199254740981);
    assert.equal((await json(await red.admin('GET', `/plex-auth/accounts/long000000000001/pin/${started.pinId}`))).body.state, 'waiting');
    assert.deepEqual((await json(await red.admin('DELETE', `/plex-auth/accounts/long000000000001/pin/${started.pinId}`))).body, { state: 'cancelled' });

    const again = (await json(await red.admin('POST', '/plex-auth/accounts/long000000000002/pin', identity(longIds.url, 'long-2')))).body;
    longIds.approve(again.pinId, 'long-id-user');
    assert.equal((await waitForOutcome(red, 'long000000000002', again.pinId)).username, 'long-id-user');
  });
});
