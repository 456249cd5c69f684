/** The account's servers: the plex-servers node, and a plex-server that follows its server when it moves. */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn, type StandInServer } from '../../dev/plex-stand-in';
import { allNodes } from '../support';
import { helper, startRuntime, stopRuntime, loadUnderTest, outcome, loggedText, ACCOUNT_TOKEN, stateOfRuntime } from './harness';

describe('plex-servers and a plex-server that follows its server', () => {
  const standIn = new PlexStandIn();
  const decoy = new PlexStandIn({ machineIdentifier: 'decoy-0000' });
  let owned: StandInServer;
  let shared: StandInServer;

  before(async () => {
    await standIn.start();
    await decoy.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    // The demo's servers, and an owned one with an address where another server answers now.
    ({ owned, shared } = await standIn.addDemoServers());
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stopServers();
    await decoy.stop();
    await standIn.stop();
  });
  afterEach(async () => {
    await helper.unload();
    stateOfRuntime().setAccount('acct', undefined);
  });

  const tokensSeenBy = (server: PlexStandIn) => server.requests.map((request) => request.headers['x-plex-token']).filter(Boolean);

  describe('plex-servers', () => {
    it('lists the owned and the shared server, connections best first, a shared one without local ones, and no token', async () => {
      await loadUnderTest(standIn, 'plex-servers', { account: 'acct' });
      const result = await outcome({});
      assert.ok('port' in result, JSON.stringify(result));
      const servers = result.msg.payload;
      assert.deepEqual(
        servers.map((s: any) => s.name),
        ['Living Room', "Anna's Server"],
      );
      const [mine, annas] = servers;
      assert.deepEqual(Object.keys(mine).sort(), ['connections', 'machineIdentifier', 'name', 'online', 'owned', 'owner', 'product', 'version'].sort());
      assert.equal(mine.machineIdentifier, owned.standIn.machineIdentifier);
      assert.equal(mine.owner, null);
      assert.equal(mine.online, true);
      assert.equal(mine.product, 'Plex Media Server');
      assert.deepEqual(
        mine.connections.map((c: any) => [c.local, c.relay, c.protocol]),
        [
          [true, false, 'https'],
          [true, false, 'http'],
          [false, false, 'http'],
          [false, true, 'http'],
        ],
      );
      assert.deepEqual(Object.keys(mine.connections[0]).sort(), ['IPv6', 'address', 'local', 'port', 'protocol', 'relay', 'uri']);
      assert.equal(annas.owned, false);
      assert.equal(annas.owner, 'anna');
      assert.ok(annas.connections.every((c: any) => !c.local));
      const text = JSON.stringify(result.msg);
      for (const token of [ACCOUNT_TOKEN, owned.accessToken, shared.accessToken]) assert.ok(!text.includes(token));
    });

    it('says PLEX_NOT_SIGNED_IN without a token and PLEX_TOKEN_REJECTED when plex.tv refuses it', async () => {
      await loadUnderTest(standIn, 'plex-servers', { account: 'acct' }, { token: null });
      const unsigned = await outcome({});
      assert.ok('error' in unsigned);
      assert.equal(unsigned.error.code, 'PLEX_NOT_SIGNED_IN');
      await helper.unload();
      await loadUnderTest(standIn, 'plex-servers', { account: 'acct' }, { token: 'REVOKED-TOKEN-1234' });
      const rejected = await outcome({});
      assert.ok('error' in rejected);
      assert.equal(rejected.error.code, 'PLEX_TOKEN_REJECTED');
      assert.ok(!JSON.stringify(rejected).includes('REVOKED-TOKEN-1234'));
    });
  });

  describe('plex-server with a machineIdentifier', () => {
    it('finds the server again when it moved, never sends the token to a decoy, and warns once naming the new address', async () => {
      const server = await standIn.addServer({
        name: 'Moving',
        connections: [{ local: true, protocol: 'https', dead: true }, { local: true, decoy }, { local: true }, { local: false }],
      });
      const oldUrl = server.standIn.url;
      await loadWithServer(standIn, { url: oldUrl, machineIdentifier: server.standIn.machineIdentifier });
      assert.ok('port' in (await outcome({})), 'answers at its configured url');

      await standIn.moveServer(server.standIn.machineIdentifier);
      assert.notEqual(server.standIn.url, oldUrl);
      const seen = server.standIn.requests.length;
      const moved = await outcome({});
      assert.ok('port' in moved, JSON.stringify(moved));
      const calls = server.standIn.requests.slice(seen);
      assert.ok(
        calls.some((r) => r.path === '/identity'),
        'asked who it is first',
      );
      assert.equal(calls.filter((r) => r.path.startsWith('/security/token')).pop()?.headers['x-plex-token'], ACCOUNT_TOKEN);
      assert.equal((helper.getNode('srv') as any).server.client.address, server.standIn.url, 'uses the new address');
      assert.ok(
        decoy.requests.some((r) => r.path === '/identity'),
        'the decoy was asked who it is',
      );
      assert.deepEqual(tokensSeenBy(decoy), [], 'the decoy never got a token');

      assert.ok('port' in (await outcome({})));
      // The test runtime shows catalog keys; the real node-red test (test/resilience) reads the text naming the address.
      const warnings = loggedText()
        .split('\n')
        .filter((line) => line.includes('warn.server-moved'));
      assert.equal(warnings.length, 1, 'warned once');
    });

    it("uses a shared server's own token once it is found through the account", async () => {
      const oldUrl = shared.standIn.url;
      await standIn.moveServer(shared.standIn.machineIdentifier);
      await loadWithServer(standIn, { url: oldUrl, machineIdentifier: shared.standIn.machineIdentifier });
      const result = await outcome({});
      assert.ok('port' in result, JSON.stringify(result));
      const tokenCalls = shared.standIn.requests.filter((r) => r.path.startsWith('/security/token'));
      assert.deepEqual(
        tokenCalls.map((r) => r.headers['x-plex-token']),
        [shared.accessToken],
      );
      assert.deepEqual(
        tokensSeenBy(shared.standIn).filter((token) => token === ACCOUNT_TOKEN),
        [],
        'the account token never went to a shared server',
      );
      assert.ok(!JSON.stringify(result.msg).includes(shared.accessToken));
    });

    it("a shared server's own token goes with the account's token: not used after a sign-in as another Plex user, nor after a reload", async () => {
      const oldUrl = shared.standIn.url;
      await standIn.moveServer(shared.standIn.machineIdentifier);
      await loadWithServer(standIn, { url: oldUrl, machineIdentifier: shared.standIn.machineIdentifier });
      assert.ok('port' in (await outcome({})), 'found through the account, with its own token');
      const account = (helper.getNode('acct') as any).account;
      account.signIn(standIn.addAccount('someone-else'));
      const seen = shared.standIn.requests.length;
      await outcome({});
      const sentSince = () => shared.standIn.requests.slice(seen).map((request) => request.headers['x-plex-token']);
      assert.ok(!sentSince().includes(shared.accessToken), "the other user's calls do not carry the first user's shared token");
      // As after a restart: the deployed credentials again, the runtime's sign-in sealed.
      await helper.unload();
      await loadWithServer(standIn, { url: oldUrl, machineIdentifier: shared.standIn.machineIdentifier });
      await outcome({});
      assert.ok(!sentSince().includes(shared.accessToken), 'nor after a reload');
      (helper.getNode('acct') as any).account.signOut();
      await outcome({});
      assert.ok(!sentSince().includes(shared.accessToken), 'nor after a sign-out');
    });

    it('looks for it only through the plex.tv the account points at now, not in a list from the one before', async () => {
      const elsewhere = new PlexStandIn();
      await elsewhere.start();
      try {
        elsewhere.addAccount('owner', ACCOUNT_TOKEN); // knows the token, lists no server
        const server = await standIn.addServer({ name: 'Listed here', connections: [{ local: true }] });
        const oldUrl = server.standIn.url;
        await standIn.moveServer(server.standIn.machineIdentifier);
        await loadWithServer(standIn, { url: oldUrl, machineIdentifier: server.standIn.machineIdentifier });
        assert.ok('port' in (await outcome({})), 'found through the first plex.tv');
        await helper.unload();
        // Both edited and deployed: the account asks another plex.tv, the server has another url.
        await loadWithServer(standIn, { url: `${oldUrl}/`, machineIdentifier: server.standIn.machineIdentifier }, elsewhere.url);
        const result = await outcome({}, 20_000);
        assert.ok('error' in result, JSON.stringify(result));
        assert.equal(result.error.code, 'PLEX_UNREACHABLE');
        assert.ok(
          elsewhere.requests.some((request) => request.path.startsWith('/api/v2/resources')),
          'asked the plex.tv it points at now',
        );
      } finally {
        await elsewhere.stop();
      }
    });

    it('says PLEX_UNREACHABLE naming every address tried when no connection answers', async () => {
      const gone = await standIn.addServer({
        name: 'Gone',
        connections: [
          { local: true, dead: true },
          { local: false, dead: true },
          { local: false, decoy },
        ],
      });
      const oldUrl = gone.standIn.url;
      await gone.standIn.stop();
      await loadWithServer(standIn, { url: oldUrl, machineIdentifier: gone.standIn.machineIdentifier });
      const result = await outcome({}, 20_000);
      assert.ok('error' in result);
      assert.equal(result.error.code, 'PLEX_UNREACHABLE');
      assert.ok(result.error.message.includes(oldUrl.replace('http://', '')), result.error.message);
      for (const connection of (gone.device() as any).connections)
        assert.ok(result.error.message.includes(connection.uri), `${connection.uri} in ${result.error.message}`);
      assert.ok(!result.error.message.includes(ACCOUNT_TOKEN));
    });
  });
});

const catchNode = require('@node-red/nodes/core/common/25-catch.js');

/** A transient-token node with a plex-server that has a machineIdentifier. */
async function loadWithServer(standIn: PlexStandIn, server: { url: string; machineIdentifier: string }, plexTvUrl = standIn.url): Promise<void> {
  const flow: any[] = [
    { id: 'tab', type: 'tab' },
    { id: 'acct', type: 'plex-account', clientIdentifier: 'follow-test', product: 'Node-RED', deviceName: 'Test', plexTvUrl },
    { id: 'srv', type: 'plex-server', name: 'followed', account: 'acct', tls: '', ...server },
    { id: 'under', z: 'tab', type: 'plex-transient-token', server: 'srv', x: 100, y: 100, wires: [['out0']] },
    { id: 'out0', z: 'tab', type: 'helper', x: 300, y: 100 },
    { id: 'catch', z: 'tab', type: 'catch', scope: null, uncaught: false, x: 100, y: 200, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper', x: 300, y: 200 },
  ];
  await helper.load([...allNodes, catchNode], flow, { acct: { token: ACCOUNT_TOKEN } });
}
