/** Playback sessions from the stand-in's real notifications and /status/sessions: changes, progress, who and what, filters, reconnects, bounds. */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { ITEMS, PLAYERS, USERS } from '../../dev/stand-in/notifications';
import { MAX_FIELD_CHARS, parseFilter, type PlaybackTrackerOptions } from '../../src/core';
import { MAX_SESSIONS } from '../../src/core/schemas';
import { lastState, startRig, type Rig } from './events-rig';

const TOKEN = 'SECRET-PLAYBACK-TOKEN-0b7e';

describe('playback sessions', () => {
  const standIn = new PlexStandIn({ friendlyName: 'Living Room Server' });
  let rig: Rig | undefined;
  const sessionLookups = () => standIn.requests.filter((request) => request.path === '/status/sessions').length;

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', TOKEN);
  });
  after(() => standIn.stop());
  afterEach(() => {
    rig?.close();
    rig = undefined;
    standIn.clearFaults();
    for (const key of [...standIn.playback.sessions.keys()]) standIn.playback.sessions.delete(key);
  });

  /** A listener and tracker, connected, with what plays now settled. */
  async function connect(tracker: Partial<PlaybackTrackerOptions> = {}): Promise<Rig> {
    const started = startRig({ address: standIn.url, token: TOKEN, tracker });
    rig = started;
    await settled(started);
    return started;
  }

  /** Connected, and what plays now settled: a notification sent now comes through only after that. */
  async function settled(r: Rig): Promise<void> {
    await r.until(() => lastState(r)?.state === 'connected', 'connection');
    const timelines = r.notifications.filter((n) => n.type === 'timeline').length;
    standIn.playback.scan();
    await r.until(() => r.notifications.filter((n) => n.type === 'timeline').length > timelines, 'settled');
  }

  const topics = (r: Rig) => r.messages.map((m) => m.topic);
  const messagesFor = (r: Rig, count: number) => r.until(() => r.messages.length >= count, `${count} messages`);

  it('sends one message per change with who plays what, where; repeats of a state are no change', async () => {
    const r = await connect();
    const session = standIn.playback.play();
    await messagesFor(r, 1);
    for (let i = 0; i < 3; i++) standIn.playback.tick(session.sessionKey);
    standIn.playback.pause(session.sessionKey);
    standIn.playback.tick(session.sessionKey);
    standIn.playback.buffer(session.sessionKey);
    standIn.playback.resume(session.sessionKey);
    standIn.playback.stop(session.sessionKey);
    await messagesFor(r, 5);
    assert.deepEqual(topics(r), ['playing', 'paused', 'buffering', 'playing', 'stopped']);
    assert.deepEqual(
      r.messages.map((m) => m.payload.previousState),
      [null, 'playing', 'paused', 'buffering', 'playing'],
    );
    assert.deepEqual(r.messages[0].payload, {
      state: 'playing',
      previousState: null,
      sessionKey: session.sessionKey,
      ratingKey: '1001',
      key: '/library/metadata/1001',
      type: 'movie',
      title: 'Big Buck Bunny',
      grandparentTitle: null,
      parentTitle: null,
      library: { id: '1', title: 'Movies' },
      viewOffset: 0,
      duration: 596_000,
      user: { id: '1', title: 'Alex' },
      player: {
        title: 'Living Room TV',
        product: 'Plex for LG',
        platform: 'webOS',
        machineIdentifier: 'player-living-room-tv',
        address: '192.168.1.31',
        local: true,
      },
      server: { name: 'Living Room Server', machineIdentifier: standIn.machineIdentifier },
    });
    const stopped = r.messages[4].payload;
    assert.equal(stopped.title, 'Big Buck Bunny', '"stopped" still says what');
    assert.equal(stopped.user.title, 'Alex', 'and who');
    assert.equal(stopped.viewOffset, 30_000, 'where it was');
    assert.equal(r.tracker!.size, 0, 'a stopped session is forgotten');
  });

  it('asks /status/sessions once per new session, not per notification', async () => {
    const r = await connect();
    const before = sessionLookups();
    const movie = standIn.playback.play();
    const episode = standIn.playback.play({ item: ITEMS.episode, user: USERS.kids, player: PLAYERS.kidsTablet });
    await messagesFor(r, 2);
    for (let i = 0; i < 20; i++) standIn.playback.tick(i % 2 ? movie.sessionKey : episode.sessionKey);
    standIn.playback.pause(movie.sessionKey);
    standIn.playback.pause(episode.sessionKey);
    await messagesFor(r, 4);
    assert.ok(sessionLookups() - before <= 2, `${sessionLookups() - before} lookups for two sessions`);
    assert.ok(sessionLookups() - before >= 1);
    assert.deepEqual(
      r.messages.map((m) => `${m.topic} ${m.payload.title} ${m.payload.user.title}`),
      ['playing Big Buck Bunny Alex', 'playing The Forest Kids', 'paused Big Buck Bunny Alex', 'paused The Forest Kids'],
    );
  });

  it('sends progress of a playing session at most every progressMs, by the clock, and none while paused', async () => {
    const r = await connect({ progressMs: 10_000 });
    const session = standIn.playback.play();
    await messagesFor(r, 1);
    const tick = async (ms: number) => {
      r.clock.advance(ms);
      const seen = r.notifications.length;
      standIn.playback.tick(session.sessionKey, ms);
      await r.until(() => r.notifications.length > seen, 'the tick');
    };
    for (let i = 0; i < 6; i++) await tick(4_000); // 4, 8, 12 (progress), 16, 20, 24 (progress)
    standIn.playback.pause(session.sessionKey);
    await messagesFor(r, 4);
    for (let i = 0; i < 4; i++) await tick(10_000);
    assert.deepEqual(topics(r), ['playing', 'progress', 'progress', 'paused']);
    assert.deepEqual(r.messages[1].payload.viewOffset, 12_000);
    assert.equal(r.messages[1].payload.state, 'playing');
    assert.equal(r.messages[1].payload.title, 'Big Buck Bunny');
  });

  it('filters by user, player, library and type, each by id or name, in any case', async () => {
    const cases: Array<[Partial<Record<'users' | 'players' | 'libraries' | 'types', string>>, string[]]> = [
      [{ users: '2' }, ['The Forest']],
      [{ users: 'alex' }, ['Big Buck Bunny', 'Clair de Lune']],
      [{ players: "kids' tablet, player-alex-phone" }, ['The Forest', 'Clair de Lune']],
      [{ libraries: 'Music' }, ['Clair de Lune']],
      [{ libraries: '1,2' }, ['Big Buck Bunny', 'The Forest']],
      [{ types: 'episode' }, ['The Forest']],
      [{ users: '1', types: 'movie' }, ['Big Buck Bunny']],
    ];
    for (const [filter, titles] of cases) {
      // Under way before the connection: what the tracker learns of them is settled when it connects.
      const sessions = [
        standIn.playback.play(),
        standIn.playback.play({ item: ITEMS.episode, user: USERS.kids, player: PLAYERS.kidsTablet }),
        standIn.playback.play({ item: ITEMS.track, player: PLAYERS.phone }),
      ];
      const r = await connect({
        filters: {
          users: parseFilter(filter.users),
          players: parseFilter(filter.players),
          libraries: parseFilter(filter.libraries),
          types: parseFilter(filter.types),
        },
      });
      for (const session of sessions) standIn.playback.stop(session.sessionKey);
      standIn.playback.scan();
      await r.until(() => r.notifications.filter((n) => n.type === 'timeline').length === 2, 'all told');
      await r.until(() => r.tracker!.size === 0, 'every session ended');
      assert.deepEqual([...new Set(r.messages.map((m) => m.payload.title))], titles, JSON.stringify(filter));
      assert.deepEqual(
        r.messages.map((m) => m.topic),
        [...titles.map(() => 'playing'), ...titles.map(() => 'stopped')],
        JSON.stringify(filter),
      );
      rig!.close();
      rig = undefined;
    }
  });

  it('on connecting, sends each session already under way once, with previousState null', async () => {
    const movie = standIn.playback.play();
    const episode = standIn.playback.play({ item: ITEMS.episode, user: USERS.kids, player: PLAYERS.kidsTablet });
    standIn.playback.pause(episode.sessionKey);
    const r = await connect();
    assert.deepEqual(
      r.messages.map((m) => [m.topic, m.payload.previousState, m.payload.title]),
      [
        ['playing', null, 'Big Buck Bunny'],
        ['paused', null, 'The Forest'],
      ],
    );
    standIn.playback.tick(movie.sessionKey);
    standIn.playback.tick(episode.sessionKey);
    standIn.playback.stop(movie.sessionKey);
    await messagesFor(r, 3);
    assert.deepEqual(topics(r), ['playing', 'paused', 'stopped']);
  });

  it('after the connection was down, reports what changed meanwhile: "stopped" once for a session that ended, who and what kept', async () => {
    const r = await connect();
    const movie = standIn.playback.play();
    const episode = standIn.playback.play({ item: ITEMS.episode, user: USERS.kids, player: PLAYERS.kidsTablet });
    await messagesFor(r, 2);
    standIn.playback.dropSockets();
    await r.until(() => lastState(r)?.state === 'waiting', 'the drop');
    // While down: the movie ends, the episode is paused, a track starts.
    standIn.playback.stop(movie.sessionKey);
    standIn.playback.pause(episode.sessionKey);
    standIn.playback.play({ item: ITEMS.track, player: PLAYERS.phone });
    r.clock.advance((lastState(r) as { retryInMs: number }).retryInMs);
    await messagesFor(r, 5);
    assert.deepEqual(
      r.messages.slice(2).map((m) => [m.topic, m.payload.previousState, m.payload.title, m.payload.user.title]),
      [
        ['stopped', 'playing', 'Big Buck Bunny', 'Alex'],
        ['paused', 'playing', 'The Forest', 'Kids'],
        ['playing', null, 'Clair de Lune', 'Alex'],
      ],
    );
    standIn.playback.scan();
    await r.until(() => r.notifications.filter((n) => n.type === 'timeline').length === 2, 'later notifications');
    assert.equal(r.messages.length, 5, 'nothing twice');
  });

  it('a lookup that fails sends the change without who and what, with a warning; the next reconnect fills them in', async () => {
    const r = await connect();
    standIn.fail(/^GET \/status\/sessions/, { status: 500, body: 'boom', contentType: 'text/plain' });
    const session = standIn.playback.play();
    await messagesFor(r, 1);
    assert.equal(r.messages[0].payload.title, null);
    assert.equal(r.messages[0].payload.player.machineIdentifier, 'player-living-room-tv', 'the notification names the player');
    assert.ok(
      r.warnings.some((w) => /what plays now could not be asked \(.*answered 500.*\); sent without who and what/.test(w)),
      JSON.stringify(r.warnings),
    );
    standIn.playback.pause(session.sessionKey);
    await messagesFor(r, 2);
    assert.equal(r.messages[1].payload.title, null, 'asked once: not again per notification');
    r.listener.reconnect();
    await settled(r);
    standIn.playback.stop(session.sessionKey);
    await messagesFor(r, 3);
    assert.equal(r.messages[2].topic, 'stopped');
    assert.equal(r.messages[2].payload.title, 'Big Buck Bunny');
    assert.equal(r.messages.length, 3, 'the reconnect itself changed nothing');
  });

  it('follows at most maxSessions sessions, warning once; ignores unknown states and a stop of a session never seen', async () => {
    const r = await connect({ maxSessions: 2 });
    const sessions = [standIn.playback.play(), standIn.playback.play(), standIn.playback.play(), standIn.playback.play()];
    standIn.playback.notify({
      type: 'playing',
      size: 1,
      PlaySessionStateNotification: [
        { sessionKey: '999', state: 'stopped' },
        { sessionKey: sessions[0].sessionKey, state: 'exploded' },
      ],
    });
    standIn.playback.pause(sessions[0].sessionKey);
    await messagesFor(r, 3);
    assert.deepEqual(r.messages.map((m) => `${m.topic} ${m.payload.sessionKey}`).sort(), [
      `paused ${sessions[0].sessionKey}`,
      `playing ${sessions[0].sessionKey}`,
      `playing ${sessions[1].sessionKey}`,
    ]);
    assert.equal(r.warnings.filter((w) => /more than 2 sessions at once/.test(w)).length, 1);
    assert.equal(r.tracker!.size, 2);
  });

  it('reads the first MAX_SESSIONS sessions a server lists, with a warning', async () => {
    const base = standIn.playback.play();
    standIn.playback.sessions.delete(base.sessionKey);
    for (let i = 0; i < MAX_SESSIONS + 5; i++) standIn.playback.sessions.set(`listed-${i}`, { ...base, sessionKey: `listed-${i}` });
    const r = await connect({ maxSessions: MAX_SESSIONS + 10 });
    assert.equal(r.messages.length, MAX_SESSIONS, 'the first ones, with who and what');
    assert.ok(r.messages.every((m) => m.payload.title === 'Big Buck Bunny'));
    assert.ok(
      r.warnings.some((w) => w === `Plex Media Server sessions lists ${MAX_SESSIONS + 5} entries; only the first ${MAX_SESSIONS} are read`),
      JSON.stringify(r.warnings.slice(0, 3)),
    );
  });

  it('keeps at most MAX_FIELD_CHARS of each text a hostile server gives, and refuses made-up long session keys', async () => {
    const r = await connect();
    const huge = { ...ITEMS.movie, ratingKey: '4004', title: 'x'.repeat(200_000) };
    standIn.playback.play({ item: huge });
    standIn.playback.notify({ type: 'playing', size: 1, PlaySessionStateNotification: [{ sessionKey: 'k'.repeat(65), state: 'playing' }] });
    await messagesFor(r, 1);
    assert.equal(r.messages[0].payload.title?.length, MAX_FIELD_CHARS);
    await r.until(() => r.warnings.some((w) => /sessionKey must NOT have more than 64 characters/.test(w)), 'the refusal');
    assert.equal(r.tracker!.size, 1);
  });
});
