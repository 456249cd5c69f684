/** The notification socket against the stand-in's real WebSocket server: connecting, reading, backoff, finding a moved server, closing. */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import http from 'node:http';
import type { Socket } from 'node:net';
import { deadPort, listenOnLoopback } from '../../dev/stand-in/exchange';
import { MAX_NOTIFICATION_BYTES, PING_EVERY_MS, STABLE_AFTER_MS, notificationsUrl, identityHeaders, type ListenerState } from '../../src/core';
import { MAX_SESSIONS } from '../../src/core/schemas';
import { identity, lastState, startRig, type Rig } from './events-rig';

const TOKEN = 'SECRET-EVENTS-TOKEN-5e1f';

describe('the notification socket', () => {
  const standIn = new PlexStandIn();
  let rig: Rig | undefined;
  const notificationRequests = () => standIn.requests.filter((request) => request.path.startsWith('/:/websockets/notifications'));

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', TOKEN);
  });
  after(() => standIn.stop());
  afterEach(async () => {
    rig?.close();
    rig = undefined;
    standIn.clearFaults();
    await until(() => standIn.playback.sockets === 0, 'sockets closed');
  });

  async function until(check: () => boolean, what: string): Promise<void> {
    for (const end = Date.now() + 5000; !check(); await new Promise((resolve) => setTimeout(resolve, 5))) {
      if (Date.now() > end) throw new Error(`no ${what}`);
    }
  }

  /** Moves the clock a ping at a time, leaving each ping's pong time to come back over loopback. */
  async function passTime(r: Rig, ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= PING_EVERY_MS) {
      r.clock.advance(Math.min(left, PING_EVERY_MS));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }

  const connected = (r: Rig) => r.until(() => lastState(r)?.state === 'connected', 'connection');
  const waiting = (r: Rig) => r.until(() => lastState(r)?.state === 'waiting', 'wait to try again');

  it('connects with the identity headers and the token as a header, never in the URL, and hands on each message read', async () => {
    rig = startRig({ address: standIn.url, token: TOKEN });
    await connected(rig);
    const request = notificationRequests().at(-1)!;
    assert.equal(request.path, '/:/websockets/notifications', 'nothing in the query');
    assert.equal(request.headers['x-plex-token'], TOKEN);
    assert.equal(request.headers['x-plex-client-identifier'], identity.clientIdentifier);
    assert.equal(request.headers['x-plex-product'], 'Node-RED');

    const session = standIn.playback.play();
    standIn.playback.scan();
    await rig.until(() => rig!.notifications.length === 3, 'three notifications');
    assert.deepEqual(
      rig.notifications.map((n) => n.type),
      ['playing', 'activity', 'timeline'],
    );
    assert.equal(rig.notifications[0].PlaySessionStateNotification?.[0].sessionKey, session.sessionKey);
    assert.deepEqual(rig.warnings, []);
    standIn.playback.stop(session.sessionKey);
  });

  it('builds ws:// and wss:// URLs, moving a device name a header cannot carry into the query (the token never)', () => {
    assert.equal(notificationsUrl('http://192.168.1.20:32400', {}).url.href, 'ws://192.168.1.20:32400/:/websockets/notifications');
    assert.equal(notificationsUrl('https://1-2-3-4.abc.plex.direct:32400', {}).url.href, 'wss://1-2-3-4.abc.plex.direct:32400/:/websockets/notifications');
    const moved = notificationsUrl('http://127.0.0.1:1', identityHeaders({ ...identity, deviceName: 'Wohnzimmer-Ü' }));
    assert.equal(moved.url.searchParams.get('X-Plex-Device-Name'), 'Wohnzimmer-Ü');
    assert.equal(moved.headers['X-Plex-Device-Name'], undefined);
  });

  it('a refused token waits slowly (PLEX_TOKEN_REJECTED), names no token, and tries again when the time comes or at once when asked', async () => {
    rig = startRig({ address: standIn.url, token: 'not-a-token-of-this-server', listener: { reconnect: { refusedMs: 120_000 } } });
    await waiting(rig);
    const state: ListenerState = lastState(rig)!;
    assert.ok(state.state === 'waiting');
    assert.equal(state.error.code, 'PLEX_TOKEN_REJECTED');
    assert.equal(state.error.message, 'Plex Media Server (GET /:/websockets/notifications) answered 401 Unauthorized');
    assert.equal(state.retryInMs, 120_000);
    assert.deepEqual(rig.clock.pending, [120_000]);
    const tried = notificationRequests().length;
    rig.clock.advance(119_999);
    assert.equal(notificationRequests().length, tried, 'not before its time');
    rig.clock.advance(1);
    await rig.until(() => notificationRequests().length === tried + 1, 'second try');
    await rig.until(() => rig!.states.filter((s) => s.state === 'waiting').length === 2, 'second refusal');
    rig.listener.retryNow();
    await rig.until(() => notificationRequests().length === tried + 2, 'a try at once');
  });

  it('backs off from firstMs, doubling with jitter up to maxMs, honours Retry-After, and starts afresh after a connection that lasted', async () => {
    standIn.fail(/^GET \/:\/websockets\/notifications/, { status: 503, body: 'down', contentType: 'text/plain' }, 7);
    rig = startRig({ address: standIn.url, token: TOKEN, listener: { reconnect: { firstMs: 1000, maxMs: 30_000 } } });
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      await rig.until(() => rig!.states.filter((s) => s.state === 'waiting').length === i + 1, `fault ${i + 1}`);
      const state: ListenerState = lastState(rig)!;
      assert.ok(state.state === 'waiting');
      assert.equal(state.error.code, 'PLEX_HTTP');
      delays.push(state.retryInMs);
      rig.clock.advance(state.retryInMs);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000], 'random 1: the whole backoff');
    await connected(rig);
    const firstWaiting = rig.states.find((s) => s.state === 'waiting')!;
    assert.ok(firstWaiting.state === 'waiting');
    const since = firstWaiting.since;
    assert.ok(
      rig.states.filter((s) => s.state === 'waiting').every((s) => s.state === 'waiting' && s.since === since),
      'down since the first fault',
    );

    // A connection that lasted: the next drop starts at firstMs again, and a Retry-After is taken up to the cap.
    await passTime(rig, STABLE_AFTER_MS);
    standIn.fail(/^GET \/:\/websockets\/notifications/, { status: 503, body: '', headers: { 'Retry-After': '20' } });
    standIn.playback.dropSockets();
    await waiting(rig);
    assert.equal((lastState(rig) as { retryInMs: number }).retryInMs, 1000);
    rig.clock.advance(1000);
    await rig.until(() => rig!.states.filter((s) => s.state === 'waiting').length === 9, 'the 503');
    assert.equal((lastState(rig) as { retryInMs: number }).retryInMs, 20_000);
  });

  it('with random jitter, waits between half and all of the backoff', async () => {
    standIn.fail(/^GET \/:\/websockets\/notifications/, { status: 503, body: '' }, 1);
    rig = startRig({ address: standIn.url, token: TOKEN, listener: { random: () => 0, reconnect: { firstMs: 1000 } } });
    await waiting(rig);
    assert.equal((lastState(rig) as { retryInMs: number }).retryInMs, 500);
  });

  it('when nothing answers, looks for the server once and connects at once at the address found', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    let looked = 0;
    rig = startRig({
      address: dead,
      token: TOKEN,
      locate: async (r) => {
        looked += 1;
        r.moveTo(standIn.url);
      },
    });
    await connected(rig);
    assert.equal(looked, 1);
    assert.deepEqual(rig.clock.pending, [PING_EVERY_MS], 'no wait: only the ping timer');
    assert.ok(!rig.states.some((s) => s.state === 'waiting'));
  });

  it('when the server is not found either, waits with the fault of the address, which names no token', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    rig = startRig({ address: dead, token: TOKEN });
    await waiting(rig);
    const state: ListenerState = lastState(rig)!;
    assert.ok(state.state === 'waiting');
    assert.equal(state.error.code, 'PLEX_UNREACHABLE');
    assert.match(state.error.message, /could not be reached at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    assert.ok(!state.error.message.includes(TOKEN));
  });

  it('warns about a message it cannot read (once per kind), keeps the connection, and reads the next one', async () => {
    rig = startRig({ address: standIn.url, token: TOKEN });
    await connected(rig);
    standIn.playback.notify({ size: 1 } as never); // no type
    standIn.playback.notify({ type: 'playing', size: 1, PlaySessionStateNotification: [{ state: 'playing' }] }); // no sessionKey
    standIn.playback.notify({ type: 'playing', size: 1, PlaySessionStateNotification: [{ state: 'playing' }] });
    standIn.playback.notify({ type: 'status', size: 'one' } as never); // strays only where nothing is relied on
    standIn.playback.scan();
    await rig.until(() => rig!.notifications.length === 3, 'the readable ones');
    assert.deepEqual(
      rig.notifications.map((n) => n.type),
      ['status', 'activity', 'timeline'],
    );
    assert.equal(rig.warnings.filter((w) => /field NotificationContainer\.type is missing/.test(w)).length, 1);
    assert.equal(rig.warnings.filter((w) => /PlaySessionStateNotification\[0\]\.sessionKey is missing/.test(w)).length, 1, 'the same fault once');
    assert.ok(rig.warnings.some((w) => /strays from the documented schema: NotificationContainer\.size must be integer/.test(w)));
    assert.equal(lastState(rig)?.state, 'connected');
  });

  it('skips, with a warning and no stall, a notification of more objects than any real one, or of more sessions than are followed', async () => {
    rig = startRig({ address: standIn.url, token: TOKEN });
    await connected(rig);
    standIn.playback.notify({ type: 'timeline', size: 1, TimelineEntry: Array.from({ length: 60_000 }, () => ({})) });
    const entries = Array.from({ length: MAX_SESSIONS + 1 }, (_, i) => ({ sessionKey: String(i), state: 'playing' }));
    standIn.playback.notify({ type: 'playing', size: entries.length, PlaySessionStateNotification: entries });
    standIn.playback.scan();
    await rig.until(() => rig!.notifications.length === 2, 'the scan after them');
    assert.deepEqual(
      rig.notifications.map((n) => n.type),
      ['activity', 'timeline'],
    );
    assert.ok(
      rig.warnings.some((w) => /more than 50000 objects and arrays; skipped/.test(w)),
      JSON.stringify(rig.warnings),
    );
    assert.ok(
      rig.warnings.some((w) => /PlaySessionStateNotification must NOT have more than 1000 items/.test(w)),
      JSON.stringify(rig.warnings),
    );
    assert.equal(lastState(rig)?.state, 'connected');
  });

  it('ends a connection that sends more than the size limit, and tries again', async () => {
    rig = startRig({ address: standIn.url, token: TOKEN });
    await connected(rig);
    standIn.playback.notify({ type: 'timeline', size: 1, padding: 'x'.repeat(MAX_NOTIFICATION_BYTES) });
    await waiting(rig);
    const state: ListenerState = lastState(rig)!;
    assert.ok(state.state === 'waiting');
    assert.equal(state.error.code, 'PLEX_BAD_ANSWER');
    assert.match(state.error.message, /more than 1048576 bytes/);
  });

  it('a connection that answers nothing, not even a ping, is ended and tried again', async () => {
    rig = startRig({ address: standIn.url, token: TOKEN });
    await connected(rig);
    standIn.playback.freezeSockets();
    rig.clock.advance(PING_EVERY_MS); // pings
    assert.equal(lastState(rig)?.state, 'connected');
    rig.clock.advance(PING_EVERY_MS); // no pong came
    await waiting(rig);
    const state: ListenerState = lastState(rig)!;
    assert.ok(state.state === 'waiting');
    assert.equal(state.error.kind, 'timeout');
    assert.match(state.error.message, /did not answer a ping/);
    standIn.playback.dropSockets(); // the frozen end never reads that the client left
  });

  it('a live connection that answers pings stays', async () => {
    rig = startRig({ address: standIn.url, token: TOKEN });
    await connected(rig);
    await passTime(rig, 4 * PING_EVERY_MS);
    assert.equal(lastState(rig)?.state, 'connected');
    assert.equal(standIn.playback.sockets, 1);
  });

  it('disconnect() stays disconnected, reconnect() connects again, close() leaves no socket, timer or callback', async () => {
    rig = startRig({ address: standIn.url, token: TOKEN });
    await connected(rig);
    rig.listener.disconnect();
    assert.equal(lastState(rig)?.state, 'disconnected');
    assert.deepEqual(rig.clock.pending, []);
    await until(() => standIn.playback.sockets === 0, 'socket closed');
    rig.clock.advance(3_600_000);
    assert.equal(lastState(rig)?.state, 'disconnected');

    rig.listener.reconnect();
    await connected(rig);
    assert.equal(standIn.playback.sockets, 1);
    const seen = rig.states.length;
    rig.listener.close();
    await until(() => standIn.playback.sockets === 0, 'socket closed');
    assert.deepEqual(rig.clock.pending, []);
    standIn.playback.scan();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(rig.states.length, seen, 'no state after close');
  });

  it('close() during an attempt ends it: the half-open connection is closed', async () => {
    const server = http.createServer();
    const upgrades: Socket[] = [];
    server.on('upgrade', (_req, socket: Socket) => upgrades.push(socket.resume())); // reads, never answers
    const url = await listenOnLoopback(server);
    try {
      rig = startRig({ address: url, token: TOKEN });
      await rig.until(() => upgrades.length === 1, 'the attempt');
      let ended = false;
      upgrades[0].on('end', () => (ended = true));
      rig.listener.close();
      assert.deepEqual(rig.clock.pending, []);
      await rig.until(() => ended, 'the connection closed');
      upgrades[0].destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
