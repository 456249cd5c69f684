import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, PinPoller, PlexTvClient, type PollOutcome } from '../../src/core';

describe('PinPoller against the stand-in', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 2000 });
  let plexTv: PlexTvClient;
  before(async () => {
    await standIn.start();
    plexTv = new PlexTvClient({ clientIdentifier: 'poller', product: 'test', deviceName: 'test' }, http, standIn.url);
  });
  after(async () => {
    http.close();
    await standIn.stop();
  });

  function poller() {
    const outcomes: PollOutcome[] = [];
    const waiters: Array<() => void> = [];
    const instance = new PinPoller({
      check: (id, signal) => plexTv.checkPin(id, signal),
      onOutcome: (outcome) => {
        outcomes.push(outcome);
        waiters.shift()?.();
      },
    });
    const next = () => new Promise<void>((resolve) => waiters.push(resolve));
    return { instance, outcomes, next };
  }

  it('ends with approved once the user approves, and polls each PIN once however often it is added', async () => {
    const { instance, outcomes, next } = poller();
    const { value: pin } = await plexTv.createPin({ strong: true });
    standIn.pins.get(pin.id)!.approveAfterPolls = 2;
    assert.equal(instance.add({ id: pin.id, intervalMs: 1000 }), true);
    assert.equal(instance.add({ id: pin.id, intervalMs: 1000 }), false);
    await next();
    assert.equal(outcomes[0].kind, 'approved');
    assert.equal(outcomes[0].kind === 'approved' && outcomes[0].pin.authToken, standIn.pins.get(pin.id)!.authToken);
    assert.equal(standIn.pins.get(pin.id)!.polls, 2);
    assert.equal(instance.pending().length, 0);
  });

  it('backs off on passing faults, honours Retry-After, and goes on', async () => {
    const { instance, outcomes, next } = poller();
    const { value: pin } = await plexTv.createPin({ strong: false });
    standIn.pins.get(pin.id)!.approveAfterPolls = 1;
    const path = new RegExp(`^GET /api/v2/pins/${pin.id}`);
    standIn.fail(path, { status: 429, body: '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}', headers: { 'Retry-After': '2' } });
    standIn.fail(path, { status: 502, body: '' });
    const started = Date.now();
    instance.add({ id: pin.id, intervalMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(instance.pending()[0].faults, 1);
    assert.match(instance.pending()[0].lastFault!, /429/);
    await next();
    assert.equal(outcomes[0].kind, 'approved');
    // 429 asked for 2 s; the 502 after it doubles the 1 s interval again: at least 2 s + 2 s.
    assert.ok(Date.now() - started >= 3900, `took ${Date.now() - started} ms`);
  });

  it('ends with expired on 404, with failed on a fault that will not pass, with timeout, and cancelled', async () => {
    const { instance, outcomes, next } = poller();
    instance.add({ id: 123456789, intervalMs: 1000 });
    await next();
    assert.deepEqual(outcomes[0], { id: 123456789, kind: 'ended', reason: 'expired' });

    const { value: pin } = await plexTv.createPin({ strong: false });
    standIn.fail(new RegExp(`^GET /api/v2/pins/${pin.id}`), { status: 400, body: '{"errors":[{"code":1000,"message":"bad"}]}' });
    instance.add({ id: pin.id, intervalMs: 1000 });
    await next();
    assert.equal(outcomes[1].kind, 'failed');

    instance.add({ id: pin.id, intervalMs: 1000, timeoutAt: Date.now() + 1500 });
    await next();
    assert.deepEqual(outcomes[2], { id: pin.id, kind: 'ended', reason: 'timeout' });

    const { value: other } = await plexTv.createPin({ strong: false });
    instance.add({ id: pin.id, intervalMs: 1000 });
    instance.add({ id: other.id, intervalMs: 1000 });
    assert.deepEqual(instance.cancel(pin.id), [pin.id]);
    assert.deepEqual(instance.cancel(), [other.id]);
    assert.deepEqual(outcomes.slice(3).map((o) => o.kind === 'ended' && o.reason), ['cancelled', 'cancelled']);
  });

  it('stops without a word: no outcome, no timer, the request in flight aborted', async () => {
    const { instance, outcomes } = poller();
    const { value: pin } = await plexTv.createPin({ strong: false });
    standIn.fail(new RegExp(`^GET /api/v2/pins/${pin.id}`), { hang: true });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    instance.add({ id: pin.id, intervalMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    instance.stop();
    assert.equal(instance.add({ id: pin.id, intervalMs: 1000 }), false, 'a stopped poller takes no more');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(outcomes.length, 0);
    assert.ok(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length <= timersBefore);
  });
});
