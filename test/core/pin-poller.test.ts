import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, PlexTvClient, PinPoller, PlexError, MIN_INTERVAL_MS, type PollOutcome, type PinPollerOptions, type PendingPin } from '../../src/core';
import { serve } from './loopback';
import { delay } from '../support';

const identity = { clientIdentifier: 'poller-client', product: 'Node-RED', deviceName: 'Test' };
/** Gaps between polls are measured where plex.tv sees them; allow for a busy machine's delays. */
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
  private readonly waiting = new Map<number, (outcome: PollOutcome) => void>();

  constructor(check: PinPollerOptions['check'], onOutcome?: (outcome: PollOutcome) => void) {
    this.poller = new PinPoller({
      check: (id, signal) => {
        this.signals.set(id, [...(this.signals.get(id) ?? []), signal]);
        return check(id, signal).catch((error: unknown) => {
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

  /** The outcome for a PIN, once it comes (fails the test after `ms`). */
  outcome(id: number, ms = 8000): Promise<PollOutcome> {
    const known = this.outcomes.find((o) => o.id === id);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no outcome for PIN ${id} within ${ms} ms`)), ms);
      this.waiting.set(id, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
  }
}

describe('PinPoller against the stand-in', { concurrency: true }, () => {
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

  it('polls several PINs, each on its own timer, until each is approved', async () => {
    const recorder = new Recorder(check);
    const ids = [await newPin(1), await newPin(2), await newPin(3)];
    for (const id of ids) assert.equal(recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS }), true);
    assert.equal(recorder.poller.add({ id: ids[2], intervalMs: MIN_INTERVAL_MS }), false, 'a PIN already polled is not added twice');
    assert.deepEqual(recorder.poller.pending().map((p) => p.id), ids);
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

  it('keeps the interval at one second or more', async () => {
    const recorder = new Recorder(check);
    const id = await newPin(2);
    recorder.poller.add({ id, intervalMs: 10 });
    assert.equal(recorder.poller.pending()[0].intervalMs, MIN_INTERVAL_MS);
    assert.equal((await recorder.outcome(id)).kind, 'approved');
    const [first, second] = polls(id);
    assert.ok(second - first >= MIN_INTERVAL_MS - SLACK_MS, `gap ${second - first} ms`);
  });

  it('ends with "expired" when plex.tv answers 404/1020', async () => {
    const recorder = new Recorder(check);
    const id = await newPin();
    recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS });
    while (polls(id).length === 0) await delay(20);
    standIn.expire(id);
    assert.deepEqual(await recorder.outcome(id), { id, kind: 'ended', reason: 'expired' });
    assert.equal(polls(id).length, 2, 'no poll after the 404');
  });

  it('ends with "timeout" at timeoutAt', async () => {
    const recorder = new Recorder(check);
    const id = await newPin();
    recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS, timeoutAt: Date.now() + 1700 });
    assert.deepEqual(await recorder.outcome(id), { id, kind: 'ended', reason: 'timeout' });
    assert.equal(polls(id).length, 2);
  });

  it('cancels one PIN, then all, each with "cancelled", and polls them no more', async () => {
    const recorder = new Recorder(check);
    const ids = [await newPin(), await newPin(), await newPin()];
    for (const id of ids) recorder.poller.add({ id, intervalMs: MIN_INTERVAL_MS });
    assert.deepEqual(recorder.poller.cancel(ids[1]), [ids[1]]);
    assert.deepEqual(recorder.outcomes, [{ id: ids[1], kind: 'ended', reason: 'cancelled' }]);
    assert.deepEqual(recorder.poller.cancel(424242), []);
    while (polls(ids[0]).length === 0 || polls(ids[2]).length === 0) await delay(20);
    assert.deepEqual(recorder.poller.cancel(), [ids[0], ids[2]]);
    assert.deepEqual(recorder.outcomes.slice(1), [
      { id: ids[0], kind: 'ended', reason: 'cancelled' },
      { id: ids[2], kind: 'ended', reason: 'cancelled' },
    ]);
    const counts = ids.map((id) => polls(id).length);
    await delay(MIN_INTERVAL_MS + 300);
    assert.deepEqual(ids.map((id) => polls(id).length), counts);
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

    for (const id of [unavailable, limited, reset]) assert.equal((await recorder.outcome(id)).kind, 'approved', `PIN ${id}`);
    const backedOff = (id: number): number => {
      const [first, second] = polls(id);
      return second - first;
    };
    assert.ok(backedOff(unavailable) >= 2 * MIN_INTERVAL_MS - SLACK_MS, `503: waited ${backedOff(unavailable)} ms`);
    assert.ok(backedOff(limited) >= 3000 - SLACK_MS, `429: waited ${backedOff(limited)} ms, Retry-After said 3 s`);
    assert.ok(backedOff(reset) >= 2 * MIN_INTERVAL_MS - SLACK_MS, `reset: waited ${backedOff(reset)} ms`);
    for (const id of [unavailable, limited, reset]) assert.equal(polls(id).length, 2);

    const faultOf = (id: number): PendingPin | undefined => recorder.snapshots.flat().find((p) => p.id === id && p.faults > 0);
    assert.equal(faultOf(unavailable)?.faults, 1);
    assert.match(faultOf(unavailable)!.lastFault!, /answered 503 Service Unavailable/);
    assert.match(faultOf(limited)!.lastFault!, /answered 429 .*API rate limit exceeded \(code 1003\)/);
    assert.match(faultOf(reset)!.lastFault!, /could not be reached/);
  });

  it('ends with "failed" on a fault that will not pass (400, 401)', async () => {
    const recorder = new Recorder(check);
    const [bad, refused] = [await newPin(), await newPin()];
    standIn.fail(new RegExp(`^GET /api/v2/pins/${bad}$`), { status: 400, body: '{"errors":[{"code":1000,"message":"X-Plex-Client-Identifier is missing"}]}' });
    standIn.fail(new RegExp(`^GET /api/v2/pins/${refused}$`), { status: 401, body: '{"errors":[{"code":1001,"message":"User could not be authenticated"}]}' });
    recorder.poller.add({ id: bad, intervalMs: MIN_INTERVAL_MS });
    recorder.poller.add({ id: refused, intervalMs: MIN_INTERVAL_MS });
    for (const [id, status, code] of [[bad, 400, 1000], [refused, 401, 1001]]) {
      const outcome = await recorder.outcome(id);
      assert.equal(outcome.kind, 'failed');
      assert.ok(outcome.kind === 'failed' && outcome.error instanceof PlexError);
      assert.equal(outcome.kind === 'failed' && outcome.error.status, status);
      assert.equal(outcome.kind === 'failed' && outcome.error.plexCode, code);
      assert.equal(polls(id).length, 1);
    }
  });

  it('stop() ends timers and requests in flight, with no callback after it', async () => {
    const recorder = new Recorder(check);
    const [hanging, waiting] = [await newPin(), await newPin()];
    standIn.fail(new RegExp(`^GET /api/v2/pins/${hanging}$`), { hang: true });
    recorder.poller.add({ id: hanging, intervalMs: MIN_INTERVAL_MS });
    recorder.poller.add({ id: waiting, intervalMs: MIN_INTERVAL_MS });
    while (polls(hanging).length === 0 || polls(waiting).length === 0) await delay(20);
    await delay(50);
    const changes = recorder.snapshots.length;
    recorder.poller.stop();
    assert.equal(recorder.signals.get(hanging)!.at(-1)!.aborted, true, 'the request in flight was aborted');
    assert.deepEqual(recorder.poller.pending(), []);
    assert.equal(recorder.poller.add({ id: 1, intervalMs: MIN_INTERVAL_MS }), false, 'a stopped poller takes no PIN');
    await delay(MIN_INTERVAL_MS + 300);
    assert.equal(polls(waiting).length, 1, 'its timer was cleared');
    assert.equal(polls(hanging).length, 1);
    assert.deepEqual(recorder.outcomes, []);
    assert.equal(recorder.snapshots.length, changes);
    assert.equal(recorder.rejections.length, 1);
    assert.equal((recorder.rejections[0] as PlexError).kind, 'aborted');
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

describe('PinPoller against a plex.tv that keeps answering after the expiry', () => {
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
    assert.deepEqual(await recorder.outcome(55), { id: 55, kind: 'ended', reason: 'expired' });
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
    assert.deepEqual(await recorder.outcome(56), { id: 56, kind: 'ended', reason: 'expired' });
    assert.equal(peer.requests.length, 2, 'at 0 s and at the expiry, not more');
  });
});
