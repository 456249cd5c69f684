/**
 * The second hostile round, in a real node-red with adminAuth: a dialog user can never have a
 * token sent, or the account's key used, for a plex.tv URL from a request; a sign-in made while
 * the flows are stopped survives Start flows and a restart; a viewer's server lists are cached.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { startNodeRed, type NodeRed } from '../../dev/node-red-process';
import { PASSWORD, json, startWithPackage, viewer, waitForOutcome } from './setup';
import { delay } from '../support';

const JWT_ACCOUNT = 'jwtacc0000000001';
const CLASSIC = 'classic000000001';
const NEW = 'newacc0000000001';

describe('tokens stay home', () => {
  const standIn = new PlexStandIn();
  /** A plex.tv URL a request names: it must never see a token, a nonce request or a signed JWT. */
  const elsewhere = new PlexStandIn({ approveAfterPolls: 1 });
  let red: NodeRed;
  let jwtToken: string;
  let classicToken: string;
  const flows = () => [
    { id: 'tab1', type: 'tab', label: 'Plex' },
    {
      id: JWT_ACCOUNT,
      type: 'plex-account',
      clientIdentifier: 'client-jwt',
      product: 'Node-RED',
      deviceName: 'Test',
      plexTvUrl: standIn.url,
      auth: 'jwt',
      credentials: { token: jwtToken },
    },
    {
      id: CLASSIC,
      type: 'plex-account',
      clientIdentifier: 'client-classic',
      product: 'Node-RED',
      deviceName: 'Test',
      plexTvUrl: standIn.url,
      credentials: { token: classicToken },
    },
  ];

  before(async () => {
    await standIn.start();
    await elsewhere.start();
    await standIn.addDemoServers();
    jwtToken = standIn.addAccount('jwt-user');
    classicToken = standIn.addAccount('classic-user');
    red = await startWithPackage({ runtimeState: { enabled: true } });
    await red.login('admin', PASSWORD);
    await red.deploy(flows());
  });
  after(async () => {
    await red?.stop();
    await standIn.stopServers();
    await standIn.stop();
    await elsewhere.stop();
  });

  it("never signs with the account's key, nor sends its token, for a plex.tv URL from a request", async () => {
    for (let waited = 0; (await (await red.admin('GET', `/plex-auth/accounts/${JWT_ACCOUNT}`)).json()).keyDevice.state !== 'ready'; waited += 100) {
      assert.ok(waited < 20_000, 'the deployed account made its key device');
      await delay(100);
    }
    const identity = { clientIdentifier: 'client-jwt', product: 'Node-RED', deviceName: 'Test', plexTvUrl: elsewhere.url, auth: 'jwt' };
    const answer = await json(await red.admin('POST', `/plex-auth/accounts/${JWT_ACCOUNT}/pin`, identity));
    assert.equal(answer.status, 409, answer.text);
    assert.match(answer.body.error, /deploy the new URL first/);
    assert.deepEqual(
      elsewhere.requests.map((request) => request.path),
      [],
      'the other URL was not even asked for a PIN or a nonce',
    );
  });

  it('sends a token only to the URL it was obtained from, while it is the current token', async () => {
    // Signed in from its dialog at another plex.tv before its first Deploy...
    const started = await json(await red.admin('POST', `/plex-auth/accounts/${NEW}/pin`, { clientIdentifier: 'client-new', plexTvUrl: elsewhere.url }));
    assert.equal(started.status, 200, started.text);
    assert.equal((await waitForOutcome(red, NEW, started.body.pinId)).state, 'approved');
    // ...then the admin deploys it with the real token and URL, and stops the flows.
    const realToken = standIn.addAccount('real-user');
    await red.deploy([
      ...flows(),
      {
        id: NEW,
        type: 'plex-account',
        clientIdentifier: 'client-new',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: standIn.url,
        credentials: { token: realToken },
      },
    ]);
    await red.setFlowState('stop');
    try {
      const seenElsewhere = elsewhere.requests.length;
      const asViewer = await viewer(red);
      const listed = await json(await asViewer('GET', `/plex-auth/accounts/${NEW}/servers`));
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        elsewhere.requests.slice(seenElsewhere).map((request) => request.headers['x-plex-token']),
        [],
        'the real token never went to the remembered URL',
      );
      assert.equal(standIn.requests.filter((request) => request.path.startsWith('/api/v2/resources')).pop()?.headers['x-plex-token'], realToken);
    } finally {
      await red.setFlowState('start');
    }
  });

  it("caches a viewer's server list: 60 dialogs opening Find servers make one plex.tv call", async () => {
    const asViewer = await viewer(red);
    const before = standIn.requests.filter((request) => request.path.startsWith('/api/v2/resources')).length;
    const answers = await Promise.all(Array.from({ length: 60 }, () => asViewer('GET', `/plex-auth/accounts/${CLASSIC}/servers`)));
    assert.ok(answers.every((answer) => answer.status === 200));
    const calls = standIn.requests.filter((request) => request.path.startsWith('/api/v2/resources')).length - before;
    assert.ok(calls <= 1, `${calls} calls to plex.tv`);
  });

  it('keeps a sign-in made while the flows are stopped, through Start flows and a restart without a Deploy', async () => {
    await red.setFlowState('stop');
    const started = await json(await red.admin('POST', `/plex-auth/accounts/${CLASSIC}/pin`, { clientIdentifier: 'client-classic', plexTvUrl: standIn.url }));
    assert.equal(started.status, 200, started.text);
    standIn.approve(started.body.pinId, 'stopped-flows-user');
    assert.equal((await waitForOutcome(red, CLASSIC, started.body.pinId)).state, 'approved');
    await red.setFlowState('start');
    const userDir = red.userDir;
    await red.stop();
    const settings = startSettings(userDir);
    red = await startNodeRed({ userDir, port: settings.uiPort as number, settings });
    await red.login('admin', PASSWORD);
    const check = await json(await red.admin('POST', `/plex-auth/accounts/${CLASSIC}/check`, {}));
    assert.deepEqual(check.body, { state: 'valid', username: 'stopped-flows-user' });
  });
});

/** The settings the node-red of startWithPackage was started with, read back from its settings.js. */
function startSettings(userDir: string): Record<string, unknown> {
  return { ...require(`${userDir}/settings.js`) };
}
