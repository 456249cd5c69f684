/**
 * plex-events in a real Node-RED runtime against the stand-in's notification WebSocket: state
 * changes and no repeats, progress, filters, "all", who and what once per session, reconnects
 * (a restart, a moved server, stopped while down), a refused token, input, the dialog's route,
 * and 200 redeploys that leave no socket or timer behind.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn, type StandInServer } from '../../dev/plex-stand-in';
import { ITEMS, PLAYERS, USERS } from '../../dev/stand-in/notifications';
import { helper, startRuntime, stopRuntime, loadUnderTest, loggedText, redeploy, ACCOUNT_TOKEN } from './harness';
import { advance, advanceUntil, allNodes, delay, mockedClock } from '../support';
import { DEFAULT_RECONNECT } from '../../src/core';

const catchNode = require('@node-red/nodes/core/common/25-catch.js');

describe('plex-events', () => {
  const standIn = new PlexStandIn({ friendlyName: 'Living Room Server' });
  let messages: any[] = [];
  let statuses: Array<{ fill?: string; text?: string }> = [];

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stopServers();
    await standIn.stop();
  });
  afterEach(async () => {
    standIn.clearFaults();
    await helper.unload();
    for (const key of [...standIn.playback.sessions.keys()]) standIn.playback.sessions.delete(key);
    await until(() => standIn.playback.sockets === 0, 'no socket left');
  });

  /** Waits for socket I/O (real time) until `check` holds; on a mocked clock, moves it on meanwhile. */
  let clockMocked = false;
  async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
    const explain = (error: Error) =>
      new Error(`no ${what} (${error.message}); statuses ${JSON.stringify(statuses.slice(-5))}; log ${loggedText().slice(-1500)}`);
    if (clockMocked) return advanceUntil(check, { stepMs: 50, limitMs: 200_000 }).catch((error: Error) => Promise.reject(explain(error)));
    for (const end = Date.now() + ms; !check(); await delay(5)) if (Date.now() > end) throw explain(new Error(`${ms} ms`));
  }

  const lastStatus = () => statuses.at(-1)?.text ?? '';
  const connected = () => until(() => /events-connected$/.test(lastStatus()) && standIn.playback.sockets > 0, 'connection');
  const topics = () => messages.map((msg) => msg.topic);

  /** Collects what the node under test sends and shows. */
  function watch(id = 'under'): void {
    messages = [];
    statuses = [];
    helper.getNode(id === 'under' ? 'out0' : `${id}-out`).on('input', (msg: any) => messages.push(msg));
    (helper.getNode(id) as any).on('call:status', (call: { args: [{ fill?: string; text?: string }] }) => statuses.push(call.args[0]));
  }

  async function load(props: Record<string, unknown> = {}, options: Parameters<typeof loadUnderTest>[3] = {}): Promise<void> {
    await loadUnderTest(
      standIn,
      'plex-events',
      { server: 'srv', events: 'playback', users: '', players: '', libraries: '', types: '', progress: 0, ...props },
      options,
    );
    watch();
  }

  it('sends one msg per change of a session, with who plays what, where; repeats are no change; the status says connected', async () => {
    await load();
    await connected();
    const session = standIn.playback.play();
    await until(() => messages.length === 1, 'playing');
    for (let i = 0; i < 3; i++) standIn.playback.tick(session.sessionKey);
    standIn.playback.pause(session.sessionKey);
    standIn.playback.tick(session.sessionKey);
    standIn.playback.stop(session.sessionKey);
    await until(() => messages.length === 3, 'three msgs');
    assert.deepEqual(topics(), ['playing', 'paused', 'stopped']);
    const [playing, , stopped] = messages;
    assert.equal(playing.payload.title, 'Big Buck Bunny');
    assert.equal(playing.payload.type, 'movie');
    assert.deepEqual(playing.payload.user, { id: '1', title: 'Alex' });
    assert.deepEqual(playing.payload.library, { id: '1', title: 'Movies' });
    assert.equal(playing.payload.player.title, 'Living Room TV');
    assert.equal(playing.payload.player.local, true);
    assert.deepEqual(playing.payload.server, { name: 'Living Room Server', machineIdentifier: standIn.machineIdentifier });
    assert.equal(stopped.payload.previousState, 'paused');
    assert.equal(stopped.payload.title, 'Big Buck Bunny', '"stopped" still says what');
    assert.equal(stopped.payload.viewOffset, 30_000);
    const upgrade = standIn.requests.filter((request) => request.path.startsWith('/:/websockets')).at(-1)!;
    assert.equal(upgrade.path, '/:/websockets/notifications');
    assert.equal(upgrade.headers['x-plex-token'], ACCOUNT_TOKEN, 'the token as a header');
    assert.ok(!JSON.stringify(messages).includes(ACCOUNT_TOKEN));
    assert.ok(!loggedText().includes(ACCOUNT_TOKEN));
  });

  it('asks /status/sessions once per new session, not per notification', async () => {
    await load();
    await connected();
    await until(() => standIn.requests.some((request) => request.path === '/status/sessions'), 'the first look');
    const lookups = () => standIn.requests.filter((request) => request.path === '/status/sessions').length;
    const before = lookups();
    const movie = standIn.playback.play();
    const episode = standIn.playback.play({ item: ITEMS.episode, user: USERS.kids, player: PLAYERS.kidsTablet });
    await until(() => messages.length === 2, 'both playing');
    for (let i = 0; i < 30; i++) standIn.playback.tick(i % 2 ? movie.sessionKey : episode.sessionKey);
    standIn.playback.stop(movie.sessionKey);
    standIn.playback.stop(episode.sessionKey);
    await until(() => messages.length === 4, 'both stopped');
    assert.ok(lookups() - before <= 2, `${lookups() - before} lookups`);
    assert.deepEqual(messages.map((msg) => `${msg.topic} ${msg.payload.user.title}`).sort(), ['playing Alex', 'playing Kids', 'stopped Alex', 'stopped Kids']);
  });

  it("filters by the dialog's comma-separated ids or names, in any case", async () => {
    await load({ users: ' kids , 1', players: "Kids' Tablet,player-living-room-tv", types: 'Episode' });
    await connected();
    standIn.playback.play();
    standIn.playback.play({ item: ITEMS.episode, player: PLAYERS.phone });
    const kids = standIn.playback.play({ item: ITEMS.episode, user: USERS.kids, player: PLAYERS.kidsTablet });
    standIn.playback.pause(kids.sessionKey);
    await until(() => messages.length === 2, "the kids' episode");
    await delay(100); // the other sessions' lookups have long come back: nothing more is coming
    assert.deepEqual(
      messages.map((msg) => `${msg.topic} ${msg.payload.title} ${msg.payload.player.title}`),
      ["playing The Forest Kids' Tablet", "paused The Forest Kids' Tablet"],
    );
  });

  it('with events "all", sends every notification with its type as topic, and the playback msgs too', async () => {
    await load({ events: 'all' });
    await connected();
    standIn.playback.scan();
    standIn.playback.play();
    await until(() => topics().includes('playing') && messages.length === 4, 'four msgs');
    assert.deepEqual(
      topics().filter((topic) => topic !== 'playing'),
      ['activity', 'timeline'],
    );
    assert.equal(messages[0].payload.type, 'activity');
    assert.equal(messages[0].payload.ActivityNotification[0].Activity.title, 'Scanning Movies');
    assert.equal(messages[2].topic, 'playing');
    assert.equal(messages[2].payload.PlaySessionStateNotification[0].state, 'playing', 'the notification itself');
    assert.equal(messages[3].payload.title, 'Big Buck Bunny', 'then the playback msg');
  });

  it('tries again at once when a new token is stored, without waiting for the slow retry', async () => {
    const refused = 'SECRET-OLD-TOKEN-9d01';
    await load({}, { token: refused });
    await until(() => /sign-in-again$/.test(lastStatus()), '"sign in again"');
    (helper.getNode('acct') as any).account.signIn(ACCOUNT_TOKEN);
    await connected();
  });

  it('"disconnect" and "reconnect" msgs; anything else is an error for Catch nodes', async () => {
    await load();
    await connected();
    helper.getNode('under').receive({ payload: 'disconnect' });
    await until(() => /events-disconnected$/.test(lastStatus()) && standIn.playback.sockets === 0, 'disconnected');
    helper.getNode('under').receive({ payload: 'reconnect' });
    await connected();
    const caught = new Promise<any>((resolve) => helper.getNode('caught').on('input', resolve));
    helper.getNode('under').receive({ payload: 'louder' });
    const error = (await caught).error;
    assert.equal(error.code, 'PLEX_BAD_INPUT');
    assert.match(error.message, /error\.events-command/);
    assert.equal(standIn.playback.sockets, 1, 'the connection stays');
  });

  it('without a token says "not signed in" and does not connect', async () => {
    await load({}, { token: null });
    await until(() => /not-signed-in$/.test(lastStatus()), '"not signed in"');
    assert.equal(standIn.playback.sockets, 0);
  });

  it("the dialog's route lists the server's users, players and libraries, no token, and refuses what is no deployed server", async () => {
    await load();
    const answer = await helper.request().get('/plex-auth/servers/srv/choices').expect(200);
    assert.deepEqual(answer.body.users, [
      { id: '1', title: 'Alex' },
      { id: '2', title: 'Kids' },
    ]);
    assert.deepEqual(
      answer.body.players.map((player: any) => player.title),
      ['Living Room TV', "Kids' Tablet", "Alex's Phone"],
    );
    assert.deepEqual(
      answer.body.libraries.map((library: any) => [library.id, library.title, library.kind]),
      [
        ['1', 'Movies', 'movie'],
        ['2', 'TV Shows', 'show'],
        ['3', 'Music', 'artist'],
      ],
    );
    assert.deepEqual(answer.body.types, ['movie', 'episode', 'track', 'clip', 'photo']);
    assert.ok(!JSON.stringify(answer.body).includes(ACCOUNT_TOKEN));
    assert.equal(standIn.requests.filter((request) => request.path === '/accounts').at(-1)?.headers['x-plex-token'], ACCOUNT_TOKEN);
    await helper.request().get('/plex-auth/servers/nothing-here/choices').expect(409);
    await helper.request().get('/plex-auth/servers/acct/choices').expect(409);
    await helper.request().get('/plex-auth/servers/a%2Fb/choices').expect(400);
  });

  // Where time is the point (backoff, the slow retry after a refused token, progress): on a mocked clock, moved on while waiting.
  describe('on a mocked clock', () => {
    mockedClock();
    before(() => (clockMocked = true));
    after(() => (clockMocked = false));

    it('sends progress msgs of a playing session at most every "progress" seconds, and none while paused', async () => {
      await load({ progress: 10 });
      await connected();
      const session = standIn.playback.play();
      await until(() => messages.length === 1, 'playing');
      // The server tells of a playing session about every 10 s; here every 4 s: at 12 and 24 s a progress msg is due.
      const tick = async () => {
        await advance(4_000);
        standIn.playback.tick(session.sessionKey, 4_000);
        await delay(30); // the notification's way over loopback, on the clock of now
      };
      for (let i = 0; i < 6; i++) await tick();
      standIn.playback.pause(session.sessionKey);
      await until(() => topics().includes('paused'), 'paused');
      for (let i = 0; i < 3; i++) await tick();
      assert.deepEqual(topics(), ['playing', 'progress', 'progress', 'paused']);
      assert.deepEqual(
        messages.filter((msg) => msg.topic === 'progress').map((msg) => msg.payload.viewOffset),
        [12_000, 24_000],
      );
      assert.equal(messages[1].payload.state, 'playing');
      assert.equal(messages[1].payload.title, 'Big Buck Bunny');
    });

    it('reconnects after the server restarts, says "down since" meanwhile (one warning), and sends "stopped" for a session that ended while it was down', async () => {
      await load();
      await connected();
      const session = standIn.playback.play();
      await until(() => messages.length === 1, 'playing');
      const restarted = standIn.restart(3000);
      standIn.playback.stop(session.sessionKey); // every connection is gone already: nobody hears it
      await until(() => statuses.some((status) => /events-down$/.test(status.text ?? '')), 'the down status');
      assert.equal(statuses.find((status) => /events-down$/.test(status.text ?? ''))?.fill, 'yellow');
      await until(() => messages.length === 2, 'stopped');
      await restarted;
      await connected();
      assert.equal(messages[1].topic, 'stopped');
      assert.equal(messages[1].payload.previousState, 'playing');
      assert.equal(messages[1].payload.title, 'Big Buck Bunny');
      const upgrades = standIn.requests.filter((request) => request.path.startsWith('/:/websockets')).length;
      assert.ok(upgrades >= 3, `tried again while down: ${upgrades} upgrades in all`);
      const warnings = loggedText()
        .split('\n')
        .filter((line) => /warn\.events-down/.test(line));
      assert.equal(warnings.length, 1, 'one warning for the outage, not one per try');
      assert.ok(!loggedText().includes(ACCOUNT_TOKEN));
    });

    it('a refused token: "sign in again" on it and on the account\'s other nodes, a warning, no try before refusedMs, and connects once the server takes the token', async () => {
      const refused = 'SECRET-REFUSED-TOKEN-44aa';
      await helper.load(
        [...allNodes, catchNode],
        <any[]>[
          { id: 'tab', type: 'tab', label: 'refused' },
          {
            id: 'acct',
            type: 'plex-account',
            name: 'test',
            clientIdentifier: 'events-refused',
            product: 'Node-RED',
            deviceName: 'Test',
            plexTvUrl: standIn.url,
          },
          { id: 'srv', type: 'plex-server', name: 'server', url: standIn.url, account: 'acct', tls: '' },
          { id: 'under', z: 'tab', type: 'plex-events', server: 'srv', events: 'playback', progress: 0, x: 100, y: 100, wires: [['out0']] },
          { id: 'tt', z: 'tab', type: 'plex-transient-token', server: 'srv', x: 100, y: 200, wires: [['out0']] },
          { id: 'out0', z: 'tab', type: 'helper', x: 300, y: 100 },
        ],
        { acct: { token: refused } },
      );
      watch();
      const other: Array<{ text?: string }> = [];
      (helper.getNode('tt') as any).on('call:status', (call: { args: [{ text?: string }] }) => other.push(call.args[0]));
      await until(() => /sign-in-again$/.test(lastStatus()), '"sign in again"');
      assert.equal(statuses.at(-1)?.fill, 'red');
      assert.ok(/sign-in-again$/.test(other.at(-1)?.text ?? ''), "the account's other node shows it too");
      const upgrades = () => standIn.requests.filter((request) => request.path.startsWith('/:/websockets')).length;
      const tried = upgrades();
      await advance(DEFAULT_RECONNECT.refusedMs - 1000);
      assert.equal(upgrades(), tried, 'no try before refusedMs');
      const log = loggedText();
      assert.match(log, /warn\.events-down/);
      assert.ok(!log.includes(refused), 'the token is in no log');
      assert.ok(!JSON.stringify(statuses).includes(refused));

      standIn.serverTokens.add(refused);
      await connected();
      assert.equal(upgrades(), tried + 1, 'the slow retry connected');
      assert.deepEqual(other.at(-1), {}, 'the mark is cleared on every node of the account');
      standIn.serverTokens.delete(refused);
    });

    it('follows a server that moved, found through the account', async () => {
      const moving: StandInServer = await standIn.addServer({ name: 'Moving Server', connections: [{ local: true }] });
      await helper.load(
        [...allNodes, catchNode],
        <any[]>[
          { id: 'tab', type: 'tab', label: 'moved' },
          { id: 'acct', type: 'plex-account', name: 'test', clientIdentifier: 'events-moved', product: 'Node-RED', deviceName: 'Test', plexTvUrl: standIn.url },
          {
            id: 'srv',
            type: 'plex-server',
            name: 'moving',
            url: moving.standIn.url,
            account: 'acct',
            tls: '',
            machineIdentifier: moving.standIn.machineIdentifier,
          },
          { id: 'under', z: 'tab', type: 'plex-events', server: 'srv', events: 'playback', progress: 0, x: 100, y: 100, wires: [['out0']] },
          { id: 'out0', z: 'tab', type: 'helper', x: 300, y: 100 },
        ],
        { acct: { token: ACCOUNT_TOKEN } },
      );
      watch();
      await until(() => moving.standIn.playback.sockets === 1, 'connected to the server');
      const before = moving.standIn.url;
      await standIn.moveServer(moving.standIn.machineIdentifier);
      assert.notEqual(moving.standIn.url, before);
      await until(() => moving.standIn.playback.sockets === 1 && /events-connected$/.test(lastStatus()), 'connected at the new address');
      moving.standIn.playback.play({ item: ITEMS.track });
      await until(() => messages.length === 1, 'a msg from the moved server');
      assert.equal(messages[0].payload.title, 'Clair de Lune');
      assert.equal(messages[0].payload.server.name, 'Moving Server');
      assert.match(loggedText(), /warn\.server-moved/);
      await helper.unload();
      await until(() => moving.standIn.playback.sockets === 0, 'closed');
    });
  });

  it('200 redeploys leave one socket and no timer behind; deleting the node leaves none', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
    await load();
    await connected();
    await delay(300); // statuses of the start settle
    const baseline = timers();
    const runtimeNodes = (helper as any)._redNodes;
    for (let round = 0; round < 200; round++) {
      await redeploy(
        runtimeNodes.getFlows().flows.map((node: any) => (node.id === 'under' ? { ...node, name: `round ${round}` } : node)),
        'nodes',
      );
    }
    await until(() => standIn.playback.sockets === 1, 'one socket', 10_000);
    await delay(300); // the last node's statuses settle
    // A little room for the account's own timers (its token check, a request's time limit); a leak would be one per redeploy.
    assert.ok(timers() <= baseline + 3, `timers: ${timers()} after, ${baseline} before`);
    const without = runtimeNodes.getFlows().flows.filter((node: any) => node.id !== 'under');
    await redeploy(without, 'full');
    await until(() => standIn.playback.sockets === 0, 'no socket', 10_000);
  });
});
