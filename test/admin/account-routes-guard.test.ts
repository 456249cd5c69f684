/**
 * The admin routes act on plex-account nodes only, and a stored token only ever goes to the
 * account's own plex.tv URL: never to one taken from the request, whatever state the flows are in.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import type { NodeRed } from '../../dev/node-red-process';
import { PASSWORD, json, startWithPackage, viewer, waitForOutcome } from './setup';

const ACCOUNT = 'acc0000000000001';
/** A deployed account whose plex.tv URL the runtime refuses: its node has no plex.tv client. */
const REFUSED = 'acc0000000000002';
const SERVER = 'srv0000000000001';
const NEW = 'new0000000000001';
const SERVER_TOKEN = 'server-token-of-the-plex-server';
const REFUSED_TOKEN = 'token-of-the-refused-account';

describe('admin routes act only on plex-account nodes, and send a token only to its own plex.tv URL', () => {
  const standIn = new PlexStandIn();
  /** A plex.tv URL a request names: it must never see a token. */
  const elsewhere = new PlexStandIn();
  let red: NodeRed;
  let accountToken: string;
  const identity = () => ({ clientIdentifier: 'client-guard', product: 'Node-RED', deviceName: 'Guard test', plexTvUrl: standIn.url });
  const hostile = () => ({ ...identity(), plexTvUrl: elsewhere.url });
  const tokensSeenElsewhere = () => elsewhere.requests.filter((request) => request.headers['x-plex-token'] !== undefined);

  before(async () => {
    await standIn.start();
    await elsewhere.start();
    accountToken = standIn.addAccount('account-user');
    red = await startWithPackage({ runtimeState: { enabled: true } });
    await red.login('admin', PASSWORD);
    await red.deploy([
      { id: 'tab1', type: 'tab', label: 'Plex' },
      {
        id: ACCOUNT,
        type: 'plex-account',
        clientIdentifier: 'client-account',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: standIn.url,
        credentials: { token: accountToken },
      },
      {
        id: REFUSED,
        type: 'plex-account',
        clientIdentifier: 'client-refused',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: 'https://me:pw@127.0.0.1:1',
        credentials: { token: REFUSED_TOKEN },
      },
      { id: SERVER, type: 'plex-server', url: 'http://127.0.0.1:32400', account: ACCOUNT, tls: '', credentials: { token: SERVER_TOKEN } },
    ]);
  });
  after(async () => {
    await red?.stop();
    await standIn.stop();
    await elsewhere.stop();
  });

  it('answers every route for a plex-server id as for an unknown id (404), and leaves its token alone', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', ''],
      ['POST', '/check', hostile()],
      ['DELETE', '/token'],
      ['POST', '/pin', hostile()],
      ['GET', '/pin/1'],
      ['DELETE', '/pin/1'],
    ];
    for (const [method, route, body] of routes) {
      const answer = await json(await red.admin(method, `/plex-auth/accounts/${SERVER}${route}`, body));
      assert.equal(answer.status, 404, `${method} ${route}: ${answer.text}`);
      assert.match(answer.body.error, /No plex-account|No sign-in/);
    }
    assert.deepEqual(tokensSeenElsewhere(), [], 'no token went to the URL in the request');
    assert.equal(elsewhere.requests.length, 0, 'not even a PIN was asked for');
    const credentials = await (await red.admin('GET', `/credentials/plex-server/${SERVER}`)).json();
    assert.equal(credentials.has_token, true, 'the plex-server keeps its token');
  });

  it('tells a read-only user nothing about a plex-server id', async () => {
    const as = await viewer(red);
    const answer = await json(await as('GET', `/plex-auth/accounts/${SERVER}`));
    assert.equal(answer.status, 404);
    assert.ok(!('signedIn' in answer.body));
    assert.equal((await json(await as('GET', `/plex-auth/accounts/${ACCOUNT}`))).body.signedIn, true);
  });

  it('answers an id that is neither deployed nor signed in from the dialog with 404', async () => {
    for (const [method, route] of [
      ['GET', ''],
      ['POST', '/check'],
      ['DELETE', '/token'],
    ]) {
      const answer = await json(await red.admin(method, `/plex-auth/accounts/unknown0000001${route}`, method === 'POST' ? hostile() : undefined));
      assert.equal(answer.status, 404, `${method} ${route}`);
    }
  });

  it('checks a deployed account whose plex.tv URL the runtime refuses: 409, and its token goes nowhere', async () => {
    const answer = await json(await red.admin('POST', `/plex-auth/accounts/${REFUSED}/check`, hostile()));
    assert.equal(answer.status, 409, answer.text);
    assert.match(answer.body.error, /plex\.tv URL .*user name or password/);
    assert.ok(!answer.text.includes(REFUSED_TOKEN));
    assert.deepEqual(tokensSeenElsewhere(), []);
  });

  it('checks a deployed account while the flows are stopped against its own plex.tv URL, not the one in the request', async () => {
    await red.setFlowState('stop');
    try {
      const answer = await json(await red.admin('POST', `/plex-auth/accounts/${ACCOUNT}/check`, hostile()));
      assert.deepEqual(answer.body, { state: 'valid', username: 'account-user' });
      assert.deepEqual(tokensSeenElsewhere(), []);
      const refused = await json(await red.admin('POST', `/plex-auth/accounts/${REFUSED}/check`, hostile()));
      assert.equal(refused.status, 409, refused.text);
      assert.deepEqual(tokensSeenElsewhere(), []);
      assert.equal((await red.admin('DELETE', `/plex-auth/accounts/${SERVER}/token`)).status, 404);
      assert.equal((await red.admin('GET', `/credentials/plex-server/${SERVER}`).then((r) => r.json())).has_token, true);
    } finally {
      await red.setFlowState('start');
    }
  });

  it('checks an account signed in from the dialog, not deployed yet, against the URL that sign-in used', async () => {
    const started = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, identity()));
    assert.equal(started.status, 200, started.text);
    standIn.approve(started.body.pinId, 'new-user');
    assert.equal((await waitForOutcome(red, NEW, started.body.pinId)).state, 'approved');
    const answer = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/check`, hostile()));
    assert.deepEqual(answer.body, { state: 'valid', username: 'new-user' });
    assert.deepEqual(tokensSeenElsewhere(), []);
    assert.equal((await json(await red.admin('DELETE', `/plex-auth/accounts/${NEW}/token`))).body.signedIn, false);
    assert.deepEqual((await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/check`, hostile()))).body, { state: 'signed-out' });
  });

  it('refuses a body that is not an object, and over-long fields instead of cutting them short (400)', async () => {
    const notObject = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, [identity()]));
    assert.equal(notObject.status, 400);
    assert.match(notObject.body.error, /JSON object/);
    const longIdentifier = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, { ...identity(), clientIdentifier: 'c'.repeat(201) }));
    assert.equal(longIdentifier.status, 400);
    assert.match(longIdentifier.body.error, /clientIdentifier.*200/);
    const longUrl = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, { ...identity(), plexTvUrl: `${standIn.url}/${'p'.repeat(2000)}` }));
    assert.equal(longUrl.status, 400);
    assert.match(longUrl.body.error, /plexTvUrl/);
  });
});
