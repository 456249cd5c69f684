import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import {
  HttpClient,
  PlexTvClient,
  PinPoller,
  PlexError,
  MIN_INTERVAL_MS,
  MAX_BACKOFF_MS,
  MAX_PENDING_PINS,
  type PollOutcome,
  type PinPollerOptions,
  type PendingPin,
} from '../../src/core';
import { serve } from './loopback';
import { advance, advanceUntil, advanceUntilSettled, delay, mockedClock, nextEvent, type ClockSteps } from '../support';

const identity = { clientIdentifier: 'poller-client', product: 'Node-RED', deviceName: 'Test' };
/** Gaps between polls in the real-time test are measured where plex.tv sees them; allow for a busy machine's delays. */
const SLACK_MS = 200;

/** A PinPoller with everything it reports written down. */
class Recorder {
  readonly outcomes: PollOutcome[] = [];
  readonly warnings: string[] = [];
  /** pending() at each onChange. */
  readonly snapshots: PendingPin[][] = [];
  readonly signals = new Map<number, AbortSignal[]>();
  readonly rejections: unknown[] = [];
  readonly poller: PinPoller;
  /** Checks begun and not yet settled. */
  private inFlight = 0;
  /** For a mocked clock: it stands still while a check is in flight, so each poll reaches plex.tv when it was due. */
  readonly clock: ClockSteps = { busy: () => this.inFlight > 0 };
  private readonly waiting = new Map<number, (outcome: PollOutcome) => void>();

  constructor(check: PinPollerOptions['check'], onOutcome?: (outcome: PollOutcome) => void, options: Partial<PinPollerOptions> = {}) {
    this.poller = new PinPoller({
      ...options,
      check: (id, signal) => {
        this.signals.set(id, [...(this.signals.get(id) ?? []), signal]);
        this.inFlight += 1;
        return check(id, signal)
          .finally(() => (this.inFlight -= 1))
          .catch((error: unknown) => {
            this.rejections.push(error);
            throw error;
          });
      },
      onOutcome: (outcome) => {
        this.outcomes.push(outcome);
        this.waiting.get(outcome.id)?.(outcome);
        onOutcome?.(outcome);
      },
      onWarning: (text) => this.warnings.push(text),
      onChange: () => this.snapshots.push(this.poller.pending()),
    });
  }

  /** Resolves once no check is in flight: real I/O only, a mocked clock stands still meanwhile. */
  async idle(): Promise<void> {
    while (this.inFlight > 0) await delay(1);
  }

  /** The outcome for a PIN, once it comes (fails the test after `ms` of real time). */
  outcome(id: number, ms = 8000): Promise<PollOutcome> {
    const known = this.outcomes.find((o) => o.id === id);
    if (known) return Promise.resolve(known);
    return nextEvent((resolve) => this.waiting.set(id, resolve), ms, `outcome for PIN ${id}`);
  }
}

// Most tests run on a mocked clock (mock.timers: timers and Date); the stand-in records each request at the
// mocked time, so gaps between polls are exact.
describe('PinPoller against the stand-in', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 4000 });
  let plexTv: PlexTvClient;
  const check: PinPollerOptions['check'] = (id, signal) => plexTv.checkPin(id, signal);
  before(async () => {
    await standIn.start();
    plexTv = new PlexTvClient(identity, http, standIn.url);
  });
  after(async () => {
    http.close();
    await standIn.stop();
  });

  async function newPin(approveAfterPolls?: number): Promise<number> {
    const { value } = await plexTv.createPin({ strong: true });
    standIn.pins.get(value.id)!.approveAfterPolls = approveAfterPolls;
    return value.id;
  }
  /** When each poll of a PIN reached plex.tv. */
  function polls(id: number): number[] {
    return standIn.requests.filter((r) => r.method === 'GET' && r.path === `/api/v2/pins/${id}`).map((r) => r.at);
  }

  describe('on the real clock', () => {
    // The real-time test: the cadence as plex.tv sees it, on the real clock.
    it('polls several PINs, each on its own timer, until each is approved', async () => {
      const recorder = new Recorder(check);
      const ids = [await newPin(1), await newPin(2), await newPin(3)];
      for (const id of ids) assert.equal(recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS }), true);
      assert.equal(recorder.poller.add({ id: ids[2], intervalMs: MIN_INTERVAL_MS }), false, 'a PIN already polled is not added twice');
      assert.deepEqual(
        recorder.poller.pending().map((p) => p.id),
        ids,
      );
      assert.equal(recorder.poller.has(ids[0]), true);

      const outcomes = await Promise.all(ids.map((id) => recorder.outcome(id)));
      for (const [index, id] of ids.entries()) {
        const outcome = outcomes[index];
        assert.equal(outcome.kind, 'approved');
        assert.ok(outcome.kind === 'approved' && outcome.pin.authToken === standIn.pins.get(id)!.authToken);
        const times = polls(id);
        assert.equal(times.length, index + 1, `PIN ${id} polled once per interval, by one timer`);
        for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= MIN_INTERVAL_MS - SLACK_MS, `gap ${times[i] - times[i - 1]} ms`);
      }
      assert.equal(recorder.outcomes.length, 3);
      assert.deepEqual(recorder.poller.pending(), []);
      assert.equal(recorder.poller.has(ids[0]), false);
      assert.deepEqual(recorder.warnings, []);
    });

    it('ends with "failed" on a fault that will not pass (400, 401)', async () => {
      const recorder = new Recorder(check);
      const [bad, refused] = [await newPin(), await newPin()];
      standIn.fail(new RegExp(`^GET /api/v2/pins/${bad}$`), {
        status: 400,
        body: '{"errors":[{"code":1000,"message":"X-Plex-Client-Identifier is missing"}]}',
      });
      standIn.fail(new RegExp(`^GET /api/v2/pins/${refused}$`), {
        status: 401,
        body: '{"errors":[{"code":1001,"message":"User could not be authenticated"}]}',
      });
      recorder.poller.add({ id: bad, intervalMs: MIN_INTERVAL_MS });
      recorder.poller.add({ id: refused, intervalMs: MIN_INTERVAL_MS });
      for (const [id, status, code] of [
        [bad, 400, 1000],
        [refused, 401, 1001],
      ]) {
        const outcome = await recorder.outcome(id);
        assert.equal(outcome.kind, 'failed');
        assert.ok(outcome.kind === 'failed' && outcome.error instanceof PlexError);
        assert.equal(outcome.kind === 'failed' && outcome.error.status, status);
        assert.equal(outcome.kind === 'failed' && outcome.error.plexCode, code);
        assert.equal(polls(id).length, 1);
      }
    });

    it('keeps a throwing outcome callback from becoming an unhandled rejection', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const recorder = new Recorder(check, () => {
          throw new Error('flow broke');
        });
        const id = await newPin(1);
        recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS });
        assert.equal((await recorder.outcome(id)).kind, 'approved');
        await delay(50);
        assert.deepEqual(recorder.warnings, [`PIN ${id}: Error: flow broke`]);
        assert.deepEqual(unhandled, []);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  });

  describe('on a mocked clock', () => {
    mockedClock();

    it('keeps the interval at one second or more', async () => {
      const recorder = new Recorder(check);
      const id = await newPin(2);
      recorder.poller.add({ id, intervalMs: 10 });
      assert.equal(recorder.poller.pending()[0].intervalMs, MIN_INTERVAL_MS);
      assert.equal((await advanceUntilSettled(recorder.outcome(id), recorder.clock)).kind, 'approved');
      const [first, second] = polls(id);
      assert.ok(second - first >= MIN_INTERVAL_MS, `gap ${second - first} ms`);
    });

    it('ends with "expired" when plex.tv answers 404/1020', async () => {
      const recorder = new Recorder(check);
      const id = await newPin();
      recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS });
      await advanceUntil(() => polls(id).length > 0, recorder.clock);
      standIn.expire(id);
      assert.deepEqual(await advanceUntilSettled(recorder.outcome(id), recorder.clock), { id, kind: 'ended', reason: 'expired' });
      assert.equal(polls(id).length, 2, 'no poll after the 404');
    });

    it('ends with "timeout" at timeoutAt', async () => {
      const recorder = new Recorder(check);
      const id = await newPin();
      const startedAt = Date.now();
      recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS, timeoutAt: startedAt + 1700 });
      assert.deepEqual(await advanceUntilSettled(recorder.outcome(id), recorder.clock), { id, kind: 'ended', reason: 'timeout' });
      assert.equal(polls(id).length, 2);
      assert.ok(Date.now() - startedAt >= 1700);
    });

    it('cancels one PIN, then all, each with "cancelled", and polls them no more', async () => {
      const recorder = new Recorder(check);
      const ids = [await newPin(), await newPin(), await newPin()];
      for (const id of ids) recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS });
      assert.deepEqual(recorder.poller.cancel(ids[1]), [ids[1]]);
      assert.deepEqual(recorder.outcomes, [{ id: ids[1], kind: 'ended', reason: 'cancelled' }]);
      assert.deepEqual(recorder.poller.cancel(424242), []);
      await advanceUntil(() => polls(ids[0]).length > 0 && polls(ids[2]).length > 0, recorder.clock);
      assert.deepEqual(recorder.poller.cancel(), [ids[0], ids[2]]);
      assert.deepEqual(recorder.outcomes.slice(1), [
        { id: ids[0], kind: 'ended', reason: 'cancelled' },
        { id: ids[2], kind: 'ended', reason: 'cancelled' },
      ]);
      const counts = ids.map((id) => polls(id).length);
      await advance(5 * MIN_INTERVAL_MS, recorder.clock);
      assert.deepEqual(
        ids.map((id) => polls(id).length),
        counts,
      );
      assert.equal(recorder.outcomes.length, 3);
      assert.equal(recorder.poller.add({ id: ids[0], intervalMs: MIN_INTERVAL_MS }), true, 'a cancelled PIN may be polled again');
      recorder.poller.stop();
    });

    it('backs off on passing faults (503, 429 with Retry-After, reset) and goes on to approval', async () => {
      const recorder = new Recorder(check);
      const [unavailable, limited, reset] = [await newPin(1), await newPin(1), await newPin(1)];
      const only = (id: number): RegExp => new RegExp(`^GET /api/v2/pins/${id}$`);
      standIn.fail(only(unavailable), { status: 503, body: '<html><head><title>503 Service Unavailable</title></head></html>', contentType: 'text/html' });
      standIn.fail(only(limited), { status: 429, body: '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}', headers: { 'Retry-After': '3' } });
      standIn.fail(only(reset), { reset: true });
      for (const id of [unavailable, limited, reset]) recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS });

      for (const id of [unavailable, limited, reset])
        assert.equal((await advanceUntilSettled(recorder.outcome(id), recorder.clock)).kind, 'approved', `PIN ${id}`);
      const backedOff = (id: number): number => {
        const [first, second] = polls(id);
        return second - first;
      };
      assert.ok(backedOff(unavailable) >= 2 * MIN_INTERVAL_MS, `503: waited ${backedOff(unavailable)} ms`);
      assert.ok(backedOff(limited) >= 3000, `429: waited ${backedOff(limited)} ms, Retry-After said 3 s`);
      assert.ok(backedOff(reset) >= 2 * MIN_INTERVAL_MS, `reset: waited ${backedOff(reset)} ms`);
      for (const id of [unavailable, limited, reset]) assert.equal(polls(id).length, 2);

      const faultOf = (id: number): PendingPin | undefined => recorder.snapshots.flat().find((p) => p.id === id && p.faults > 0);
      assert.equal(faultOf(unavailable)?.faults, 1);
      assert.match(faultOf(unavailable)!.lastFault!, /answered 503 Service Unavailable/);
      assert.match(faultOf(limited)!.lastFault!, /answered 429 .*API rate limit exceeded \(code 1003\)/);
      assert.match(faultOf(reset)!.lastFault!, /could not be reached/);
    });

    it('stop() ends timers and requests in flight, with no callback after it', async () => {
      const recorder = new Recorder(check);
      const [hanging, waiting] = [await newPin(), await newPin()];
      standIn.fail(new RegExp(`^GET /api/v2/pins/${hanging}$`), { hang: true });
      recorder.poller.add({ id: hanging, intervalMs: MIN_INTERVAL_MS });
      recorder.poller.add({ id: waiting, intervalMs: MIN_INTERVAL_MS });
      await advanceUntil(() => polls(hanging).length > 0 && polls(waiting).length > 0, { stepMs: 10, limitMs: 5000 }); // one check hangs: no busy()
      await delay(50); // the answer to the waiting PIN's poll arrives (real I/O)
      const changes = recorder.snapshots.length;
      recorder.poller.stop();
      assert.equal(recorder.signals.get(hanging)!.at(-1)!.aborted, true, 'the request in flight was aborted');
      assert.deepEqual(recorder.poller.pending(), []);
      assert.equal(recorder.poller.add({ id: 1, intervalMs: MIN_INTERVAL_MS }), false, 'a stopped poller takes no PIN');
      await advance(5 * MIN_INTERVAL_MS);
      assert.equal(polls(waiting).length, 1, 'its timer was cleared');
      assert.equal(polls(hanging).length, 1);
      assert.deepEqual(recorder.outcomes, []);
      assert.equal(recorder.snapshots.length, changes);
      assert.equal(recorder.rejections.length, 1);
      assert.equal((recorder.rejections[0] as PlexError).kind, 'aborted');
    });
  });
});

describe('PinPoller against a plex.tv that keeps answering after the expiry', () => {
  mockedClock();
  const http = new HttpClient({ timeoutMs: 4000 });
  after(() => http.close());

  it('ends with "expired" at the expiry plex.tv gave, and passes schema drift on as warnings', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const peer = await serve((req, res) => {
      const id = Number(/\/pins\/(\d+)$/.exec(req.url ?? '')?.[1]);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id, code: 'ABCD', expiresAt, authToken: null }));
    });
    after(() => peer.close());
    const plexTv = new PlexTvClient(identity, http, peer.url);
    const recorder = new Recorder((id, signal) => plexTv.checkPin(id, signal));
    recorder.poller.add({ id: 55, intervalMs: MIN_INTERVAL_MS, expiresAt: Date.now() + 60_000 });
    assert.deepEqual(await advanceUntilSettled(recorder.outcome(55), recorder.clock), { id: 55, kind: 'ended', reason: 'expired' });
    assert.equal(peer.requests.length, 3, 'at 0 s, 1 s, and at the expiry');
    assert.equal(recorder.warnings.length, 3);
    assert.match(recorder.warnings[0], /^plex\.tv PIN strays from the documented schema: product is missing/);
  });

  it('ends with "expired" when the expiry passes while plex.tv is failing', async () => {
    const peer = await serve((_req, res) => void res.writeHead(503).end());
    after(() => peer.close());
    const plexTv = new PlexTvClient(identity, http, peer.url);
    const recorder = new Recorder((id, signal) => plexTv.checkPin(id, signal));
    recorder.poller.add({ id: 56, intervalMs: MIN_INTERVAL_MS, expiresAt: Date.now() + 1200 });
    assert.deepEqual(await advanceUntilSettled(recorder.outcome(56), recorder.clock), { id: 56, kind: 'ended', reason: 'expired' });
    assert.equal(peer.requests.length, 2, 'at 0 s and at the expiry, not more');
  });
});

describe('PinPoller backoff while plex.tv is failing, on a mocked clock', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 4000 });
  let plexTv: PlexTvClient;
  before(async () => {
    await standIn.start();
    plexTv = new PlexTvClient(identity, http, standIn.url);
  });
  mockedClock();
  after(async () => {
    http.close();
    await standIn.stop();
  });
  const pollsOf = (id: number): number[] => standIn.requests.filter((r) => r.path === `/api/v2/pins/${id}`).map((r) => r.at);

  it('signs a person in within 10 s of plex.tv answering again, however long it failed (it was up to 30 s more)', async () => {
    const recorder = new Recorder((id, signal) => plexTv.checkPin(id, signal));
    const { value: pin } = await plexTv.createPin({ strong: true });
    standIn.fail(
      new RegExp(`^GET /api/v2/pins/${pin.id}$`),
      { status: 503, body: '<html><head><title>503</title></head></html>', contentType: 'text/html' },
      Infinity,
    );
    recorder.poller.add({ id: pin.id, intervalMs: MIN_INTERVAL_MS });
    await advance(60_000, recorder.clock); // a minute of 503s: the backoff has long reached its cap
    const polled = pollsOf(pin.id);
    const gaps = polled.slice(1).map((at, index) => at - polled[index]);
    assert.deepEqual(gaps.slice(0, 3), [2000, 4000, 8000], 'doubling from the interval');
    // The figure, not the constant: a cap moved back to 30 s fails here.
    assert.ok(gaps.length > 4 && gaps.slice(3).every((gap) => gap === 10_000), `then every 10 s: ${gaps.join(', ')}`);

    // plex.tv recovers just after a failed poll, the worst moment; the person had approved meanwhile.
    await advanceUntil(() => pollsOf(pin.id).length > polled.length, recorder.clock);
    await recorder.idle();
    standIn.clearFaults();
    standIn.approve(pin.id);
    const recoveredAt = Date.now();
    assert.equal((await advanceUntilSettled(recorder.outcome(pin.id), recorder.clock)).kind, 'approved');
    assert.ok(Date.now() - recoveredAt <= 10_000, `signed in ${Date.now() - recoveredAt} ms after plex.tv recovered`);
  });

  it('still honours a Retry-After above that cap, up to MAX_BACKOFF_MS', async () => {
    const recorder = new Recorder((id, signal) => plexTv.checkPin(id, signal));
    const { value: pin } = await plexTv.createPin({ strong: true });
    const limited = (seconds: number) => ({
      status: 429,
      body: '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}',
      headers: { 'Retry-After': String(seconds) },
    });
    standIn.fail(new RegExp(`^GET /api/v2/pins/${pin.id}$`), limited(25));
    standIn.fail(new RegExp(`^GET /api/v2/pins/${pin.id}$`), limited(600));
    recorder.poller.add({ id: pin.id, intervalMs: MIN_INTERVAL_MS });
    await advanceUntil(() => pollsOf(pin.id).length === 3, recorder.clock);
    const [first, second, third] = pollsOf(pin.id);
    assert.equal(second - first, 25_000, 'as plex.tv asked');
    assert.equal(third - second, MAX_BACKOFF_MS, 'a longer wait is cut to the cap');
    recorder.poller.stop();
  });
});

describe('PinPoller with more PINs than it may poll at once', () => {
  mockedClock(); // no poll starts: only the bookkeeping is under test
  /** A check that never settles: every PIN stays pending. */
  const neverAnswers: PinPollerOptions['check'] = () => new Promise(() => undefined);

  it(`takes ${MAX_PENDING_PINS} PINs, then refuses a new one with PLEX_BAD_INPUT naming the cap; a PIN already polled or a freed place still counts`, () => {
    const poller = new PinPoller({ check: neverAnswers, onOutcome: () => undefined });
    for (let id = 1; id <= MAX_PENDING_PINS; id++) assert.equal(poller.add({ id, intervalMs: MIN_INTERVAL_MS }), true);
    const refused = (() => {
      try {
        poller.add({ id: MAX_PENDING_PINS + 1, intervalMs: MIN_INTERVAL_MS });
      } catch (error) {
        return error;
      }
      assert.fail('the PIN past the cap was taken');
    })();
    assert.ok(refused instanceof PlexError);
    assert.equal(refused.code, 'PLEX_BAD_INPUT');
    assert.match(refused.message, new RegExp(`^PIN ${MAX_PENDING_PINS + 1} is not polled: ${MAX_PENDING_PINS} PINs are being polled already`));
    assert.equal(poller.has(MAX_PENDING_PINS + 1), false);
    assert.equal(poller.add({ id: 1, intervalMs: MIN_INTERVAL_MS }), false, 'a PIN already polled is no new one');
    poller.cancel(1);
    assert.equal(poller.add({ id: MAX_PENDING_PINS + 1, intervalMs: MIN_INTERVAL_MS }), true, 'a place freed is taken again');
    assert.equal(poller.summary().count, MAX_PENDING_PINS);
    poller.stop();
  });

  it('sums up 150,000 pending PINs for a status line without running out of stack (a spread of them threw RangeError)', () => {
    const poller = new PinPoller({ check: neverAnswers, onOutcome: () => undefined, maxPending: 150_000 });
    const now = Date.now();
    for (let id = 1; id <= 150_000; id++)
      poller.add({ id, intervalMs: MIN_INTERVAL_MS, expiresAt: now + 600_000 + id, timeoutAt: id === 77_777 ? now + 5000 : undefined });
    assert.deepEqual(poller.summary(), { count: 150_000, faulty: false, endsAt: now + 5000 });
    assert.throws(() => poller.add({ id: 150_001, intervalMs: MIN_INTERVAL_MS }), /150000 PINs are being polled already/);
    poller.stop();
    assert.deepEqual(poller.summary(), { count: 0, faulty: false, endsAt: Infinity });
  });
});
