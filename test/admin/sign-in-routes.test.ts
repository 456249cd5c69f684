import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PlexStandIn } from '../../dev/plex-stand-in';
import type { NodeRed } from '../../dev/node-red-process';
import { delay } from '../support';
import { PASSWORD, accountFlow, json, startWithPackage, viewer, waitForOutcome } from './setup';

const DEPLOYED = 'a1b2c3d4e5f60708';
const NEW = 'feedfacecafe0001';

describe('plex-account admin routes, in a real node-red with adminAuth', () => {
  const standIn = new PlexStandIn();
  let red: NodeRed;
  let identity: Record<string, string>;

  before(async () => {
    await standIn.start();
    red = await startWithPackage();
    identity = { clientIdentifier: 'client-new', product: 'Node-RED', deviceName: 'Browser test', plexTvUrl: standIn.url };
    await red.login('admin', PASSWORD);
    await red.deploy(accountFlow(DEPLOYED, standIn.url));
  });
  after(async () => {
    await red?.stop();
    await standIn.stop();
  });

  it('refuses every route without a login (401)', async () => {
    for (const [method, route] of [
      ['GET', ''],
      ['POST', '/pin'],
      ['GET', '/pin/1'],
      ['DELETE', '/pin/1'],
      ['POST', '/check'],
      ['DELETE', '/token'],
    ]) {
      const response = await fetch(`${red.url}/plex-auth/accounts/${NEW}${route}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      assert.equal(response.status, 401, `${method} ${route}`);
    }
  });

  it('lets a read-only user see whether an account is signed in, and nothing more (Node-RED answers 401 for a missing permission)', async () => {
    const asViewer = await viewer(red);
    const as = (method: string, route: string) => asViewer(method, `/plex-auth/accounts/${DEPLOYED}${route}`, method === 'POST' ? identity : undefined);
    assert.equal((await (await as('GET', '')).json()).signedIn, false);
    for (const [method, route] of [
      ['POST', '/pin'],
      ['GET', '/pin/1'],
      ['DELETE', '/pin/1'],
      ['POST', '/check'],
      ['DELETE', '/token'],
    ]) {
      const response = await as(method, route);
      assert.equal(response.status, 401, `${method} ${route}`);
      assert.equal(await response.text(), '', 'refused before our handler ran');
    }
    assert.equal(standIn.requests.filter((r) => r.path.startsWith('/api/v2/pins')).length, 0);
  });

  it('answers bad ids with 400 and a message', async () => {
    const badAccount = await json(await red.admin('POST', '/plex-auth/accounts/not%20an%20id!/pin', identity));
    assert.equal(badAccount.status, 400);
    assert.match(badAccount.body.error, /node id/);
    const badPin = await json(await red.admin('GET', `/plex-auth/accounts/${NEW}/pin/abc`));
    assert.equal(badPin.status, 400);
    assert.match(badPin.body.error, /PIN id/);
    const noIdentity = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, {}));
    assert.equal(noIdentity.status, 400);
    assert.match(noIdentity.body.error, /client identifier/);
    const badUrl = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, { ...identity, plexTvUrl: 'ftp://x' }));
    assert.equal(badUrl.status, 400);
    assert.match(badUrl.body.error, /http/);
  });

  it('says clearly when plex.tv cannot give a PIN (502)', async () => {
    standIn.fail(/^POST \/api\/v2\/pins/, { status: 503, body: '<html>down</html>' });
    const answer = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, identity));
    assert.equal(answer.status, 502);
    assert.match(answer.body.error, /plex\.tv did not give a PIN: .*503/);
  });

  it('signs in a node that is not deployed yet; the token never reaches the client; Deploy saves it encrypted', async () => {
    const started = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, identity));
    assert.equal(started.status, 200, started.text);
    const pin = started.body;
    const strong = standIn.pins.get(pin.pinId)!;
    assert.equal(strong.strong, true);
    assert.equal(strong.clientIdentifier, 'client-new');
    // The dialog leads to the approval pages of the plex.tv the account uses: here the stand-in's, never the real plex.tv.
    assert.ok(pin.authUrl.startsWith(`${standIn.url}/auth#?clientID=client-new&code=${strong.code}`), pin.authUrl);
    assert.match(pin.code, /^[A-Z0-9]{4}$/);
    assert.equal(pin.linkUrl, `${standIn.url}/link`);
    assert.match(pin.qrSvg, /^data:image\/svg\+xml;base64,/);
    assert.match(Buffer.from(pin.qrSvg.split(',')[1], 'base64').toString(), /^<svg /);
    assert.ok(Date.parse(pin.expiresAt) > Date.now());

    // Another account cannot look at, nor cancel, this PIN.
    assert.equal((await red.admin('GET', `/plex-auth/accounts/${DEPLOYED}/pin/${pin.pinId}`)).status, 404);
    assert.equal((await red.admin('DELETE', `/plex-auth/accounts/${DEPLOYED}/pin/${pin.pinId}`)).status, 404);
    assert.equal((await json(await red.admin('GET', `/plex-auth/accounts/${NEW}/pin/${pin.pinId}`))).body.state, 'waiting');

    const token = standIn.approve(pin.pinId, 'new-user');
    const outcome = await waitForOutcome(red, NEW, pin.pinId);
    assert.deepEqual(outcome, { state: 'approved', username: 'new-user', message: null });
    assert.equal((await (await red.admin('GET', `/plex-auth/accounts/${NEW}`)).json()).signedIn, true);
    const check = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/check`, identity));
    assert.deepEqual(check.body, { state: 'valid', username: 'new-user' });
    assert.ok(!check.text.includes(token) && !JSON.stringify(outcome).includes(token));

    // The editor deploys the new node without credentials (it never had the token): the runtime's one is saved.
    const flows = [...accountFlow(DEPLOYED, standIn.url), { id: NEW, type: 'plex-account', name: 'New', ...identity }];
    await red.deploy(flows);
    const cred = fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8');
    assert.ok(!cred.includes(token), 'flows_cred.json is encrypted');
    assert.ok(!fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8').includes(token));
    assert.ok(!(await (await red.admin('GET', '/flows')).text()).includes(token));
    assert.equal((await (await red.admin('GET', `/plex-auth/accounts/${NEW}`)).json()).signedIn, true);
    assert.ok(!red.output().includes(token), 'no token in the log');
  });

  it('signs in a deployed node, checks valid / revoked / unreachable, and signs out', async () => {
    const pin = (await json(await red.admin('POST', `/plex-auth/accounts/${DEPLOYED}/pin`, { ...identity, clientIdentifier: `client-${DEPLOYED}` }))).body;
    const token = standIn.approve(pin.pinId, 'deployed-user');
    assert.equal((await waitForOutcome(red, DEPLOYED, pin.pinId)).username, 'deployed-user');

    const check = () => red.admin('POST', `/plex-auth/accounts/${DEPLOYED}/check`, {}).then(json);
    assert.deepEqual((await check()).body, { state: 'valid', username: 'deployed-user' });
    standIn.fail(/^GET \/api\/v2\/user/, { status: 503, body: 'maintenance' });
    const unreachable = (await check()).body;
    assert.equal(unreachable.state, 'unreachable');
    assert.match(unreachable.message, /503/);
    standIn.fail(/^GET \/api\/v2\/user/, { reset: true });
    assert.equal((await check()).body.state, 'unreachable');
    const kept = await (await red.admin('GET', `/plex-auth/accounts/${DEPLOYED}`)).json();
    assert.equal(kept.signedIn, true, 'an unreachable plex.tv keeps the token');
    assert.equal(kept.signInNeeded, false, 'and does not call it dead');
    assert.equal(kept.lastCheck.state, 'unreachable', 'the last check is told');
    assert.ok(Math.abs(Date.parse(kept.lastCheck.at) - Date.now()) < 60_000);
    standIn.accountTokens.delete(token);
    assert.deepEqual((await check()).body, { state: 'revoked' });
    const refused = await (await red.admin('GET', `/plex-auth/accounts/${DEPLOYED}`)).json();
    assert.deepEqual([refused.signedIn, refused.signInNeeded, refused.lastCheck.state], [true, true, 'revoked'], 'the Check button marks the account');

    assert.equal((await json(await red.admin('DELETE', `/plex-auth/accounts/${DEPLOYED}/token`))).body.signedIn, false);
    assert.deepEqual(await (await red.admin('GET', `/plex-auth/accounts/${DEPLOYED}`)).json(), {
      signedIn: false,
      auth: 'token',
      legacyJwt: false,
      signInNeeded: false,
      lastCheck: null,
      keyDevice: { state: 'none', clientIdentifier: null, expiresAt: null, error: null, retryAt: null },
    });
    assert.deepEqual((await check()).body, { state: 'signed-out' });
  });

  it('stops polling on cancel, and reports expiry', async () => {
    const pin = (await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, identity))).body;
    assert.deepEqual((await json(await red.admin('DELETE', `/plex-auth/accounts/${NEW}/pin/${pin.pinId}`))).body, { state: 'cancelled' });
    const polled = () => standIn.requests.filter((r) => r.path === `/api/v2/pins/${pin.pinId}`).length;
    const before = polled();
    await delay(3000);
    assert.equal(polled(), before, 'no poll after cancel');

    const second = (await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, identity))).body;
    for (const each of standIn.pins.values()) if (each.clientIdentifier === 'client-new' && !each.authToken) standIn.expire(each.id);
    assert.equal((await waitForOutcome(red, NEW, second.pinId)).state, 'expired');
  });
});
