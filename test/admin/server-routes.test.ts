/** The plex-server dialog's routes (Find servers) in a real node-red with adminAuth. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn, type StandInServer } from '../../dev/plex-stand-in';
import type { NodeRed } from '../../dev/node-red-process';
import { PASSWORD, json, startWithPackage, viewer } from './setup';

const ACCOUNT_TOKEN = 'SECRET-ROUTES-ACCOUNT-TOKEN-3b7a';

describe('plex-server admin routes, in a real node-red with adminAuth', () => {
  const standIn = new PlexStandIn();
  let owned: StandInServer;
  let shared: StandInServer;
  let red: NodeRed;

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    ({ owned, shared } = await standIn.addDemoServers());
    red = await startWithPackage();
    await red.login('admin', PASSWORD);
    await red.deploy([
      { id: 'tab1', type: 'tab', label: 'Plex' },
      {
        id: 'acct',
        type: 'plex-account',
        name: 'Signed in',
        clientIdentifier: 'routes-client',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: standIn.url,
        credentials: { token: ACCOUNT_TOKEN },
      },
      {
        id: 'nobody',
        type: 'plex-account',
        name: 'Signed out',
        clientIdentifier: 'routes-client-2',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: standIn.url,
      },
      {
        id: 'srv',
        type: 'plex-server',
        name: 'Deployed',
        url: owned.standIn.url,
        account: 'acct',
        tls: '',
        machineIdentifier: owned.standIn.machineIdentifier,
      },
    ]);
  });
  after(async () => {
    await red?.stop();
    await standIn.stopServers();
    await standIn.stop();
  });

  it('lists the servers without tokens or connections, for a reader too', async () => {
    const asViewer = await viewer(red);
    const { status, body, text } = await json(await asViewer('GET', '/plex-auth/accounts/acct/servers'));
    assert.equal(status, 200, text);
    assert.deepEqual(
      body.servers.map((s: any) => [s.name, s.owner, s.online]),
      [
        ['Living Room', null, true],
        ["Anna's Server", 'anna', true],
      ],
    );
    assert.deepEqual(Object.keys(body.servers[0]).sort(), ['machineIdentifier', 'name', 'online', 'owned', 'owner', 'version']);
    for (const token of [ACCOUNT_TOKEN, owned.accessToken, shared.accessToken]) assert.ok(!text.includes(token));
  });

  it('says the account must sign in first, and answers another node type as unknown', async () => {
    assert.equal((await red.admin('GET', '/plex-auth/accounts/nobody/servers')).status, 409);
    assert.equal((await red.admin('GET', '/plex-auth/accounts/srv/servers')).status, 404);
    assert.equal(
      (await red.admin('POST', '/plex-auth/servers/acct/pick', { account: 'acct', machineIdentifier: owned.standIn.machineIdentifier })).status,
      404,
    );
  });

  it('picks a server only with write permission; a shared one gets its token on the Node-RED side', async () => {
    const asViewer = await viewer(red);
    // Node-RED answers a missing permission with 401.
    assert.equal(
      (await asViewer('POST', '/plex-auth/servers/new-srv/pick', { account: 'acct', machineIdentifier: shared.standIn.machineIdentifier })).status,
      401,
    );
    const { status, body, text } = await json(
      await red.admin('POST', '/plex-auth/servers/new-srv/pick', { account: 'acct', machineIdentifier: shared.standIn.machineIdentifier }),
    );
    assert.equal(status, 200, text);
    const remote = (shared.device() as any).connections.find((c: any) => !c.local).uri;
    assert.deepEqual(body, { name: "Anna's Server", url: remote, machineIdentifier: shared.standIn.machineIdentifier, owned: false, tokenSet: true });
    assert.ok(!text.includes(shared.accessToken));
    const owner = await json(await red.admin('POST', '/plex-auth/servers/srv/pick', { account: 'acct', machineIdentifier: owned.standIn.machineIdentifier }));
    assert.equal(owner.body.url, owned.standIn.url, 'the local http connection: the local https one is dead');
    assert.equal(owner.body.tokenSet, false);
  });

  it('shows the address a deployed server uses; it never moved, and no JWT check was made', async () => {
    const { body } = await json(await red.admin('GET', '/plex-auth/servers/srv'));
    assert.deepEqual(body, { address: owned.standIn.url, movedAt: null, jwt: null });
  });
});
