import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, PlexTvClient, TokenCheckSchedule, checkToken, type TokenCheckResult } from '../../src/core';
import { delay } from '../support';

const identity = { clientIdentifier: 'check-client', product: 'Node-RED', deviceName: 'Test' };

const timers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;

describe('checkToken against the stand-in', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 2000 });
  let plexTv: PlexTvClient;
  before(async () => {
    await standIn.start();
    plexTv = new PlexTvClient(identity, http, standIn.url);
  });
  after(async () => {
    http.close();
    await standIn.stop();
  });

  it('valid, revoked (401 and 422 invalid token), and unreachable for everything else', async () => {
    const token = standIn.addAccount('checked-user');
    assert.deepEqual(await checkToken(plexTv, token), { state: 'valid', username: 'checked-user' });
    standIn.fail(/^GET \/api\/v2\/user/, { status: 422, body: JSON.stringify({ errors: [{ code: 1002, message: 'Invalid token' }] }) });
    assert.deepEqual(await checkToken(plexTv, token), { state: 'revoked' });
    for (const fault of [{ status: 503 }, { status: 429, headers: { 'Retry-After': '1' } }, { status: 422, body: '{"errors":[{"code":1,"message":"Unprocessable"}]}' }, { reset: true as const }]) {
      standIn.fail(/^GET \/api\/v2\/user/, fault);
      const result = await checkToken(plexTv, token);
      assert.equal(result.state, 'unreachable', JSON.stringify(fault));
      assert.ok(!JSON.stringify(result).includes(token));
    }
    standIn.accountTokens.delete(token); // revoked on plex.tv
    assert.deepEqual(await checkToken(plexTv, token), { state: 'revoked' });
  });

  it('a refused connection is not a dead token', async () => {
    const gone = new PlexStandIn();
    await gone.start();
    await gone.stop();
    const result = await checkToken(new PlexTvClient(identity, http, gone.url), 'any-token');
    assert.equal(result.state, 'unreachable');
  });
});

describe('TokenCheckSchedule with short intervals', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 2000 });
  let plexTv: PlexTvClient;
  before(async () => {
    await standIn.start();
    plexTv = new PlexTvClient(identity, http, standIn.url);
  });
  after(async () => {
    http.close();
    await standIn.stop();
  });

  it('checks after the first delay, then once per interval, against plex.tv', async () => {
    const token = standIn.addAccount('scheduled');
    const results: Array<{ at: number; result: TokenCheckResult }> = [];
    const started = Date.now();
    const schedule = new TokenCheckSchedule({
      firstDelayMs: 100,
      intervalMs: 150,
      jitterMs: 0,
      run: async (signal) => {
        results.push({ at: Date.now() - started, result: await checkToken(plexTv, token, signal) });
      },
    });
    schedule.start();
    await delay(60);
    assert.equal(results.length, 0, 'not at once');
    await delay(600);
    schedule.stop();
    assert.ok(results.length >= 3 && results.length <= 5, `${results.length} checks in 660 ms`);
    assert.ok(results[0].at >= 95, `first after ${results[0].at} ms`);
    assert.deepEqual(results[0].result, { state: 'valid', username: 'scheduled' });
    const count = results.length;
    await delay(400);
    assert.equal(results.length, count, 'none after stop()');
    assert.equal(standIn.requests.filter((r) => r.path === '/api/v2/user').length, count);
  });

  it('jitters the first delay within the bound it is given', async () => {
    const fired: number[] = [];
    const started = Date.now();
    const schedule = new TokenCheckSchedule({ firstDelayMs: 50, jitterMs: 200, intervalMs: 60_000, random: () => 0.75, run: async () => void fired.push(Date.now() - started) });
    schedule.start();
    await delay(400);
    schedule.stop();
    assert.equal(fired.length, 1);
    assert.ok(fired[0] >= 195, `fired after ${fired[0]} ms, wanted 50 + 0.75 * 200`);
  });

  it('never runs two checks at once: the next interval starts when a slow check ends', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const schedule = new TokenCheckSchedule({
      firstDelayMs: 0, intervalMs: 10, jitterMs: 0,
      run: async () => {
        running += 1;
        runs += 1;
        most = Math.max(most, running);
        await delay(100);
        running -= 1;
      },
    });
    schedule.start();
    await delay(450);
    schedule.stop();
    assert.equal(most, 1);
    assert.ok(runs >= 2 && runs <= 5, `${runs} runs`);
  });

  it('clamps a delay past what setTimeout can hold instead of firing at once', async () => {
    let runs = 0;
    const schedule = new TokenCheckSchedule({ firstDelayMs: 0, intervalMs: 1e13, jitterMs: 0, run: async () => void (runs += 1) });
    schedule.start();
    await delay(200);
    schedule.stop();
    assert.equal(runs, 1, 'the interval of 1e13 ms did not overflow into 1 ms');
  });

  it('goes on after a check that throws, and stop() aborts a check in flight and leaves no timer', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const before = timers();
    const schedule = new TokenCheckSchedule({
      firstDelayMs: 0, intervalMs: 20, jitterMs: 0,
      onError: (error) => errors.push(error),
      run: () => {
        calls += 1;
        throw new Error('thrown before any await');
      },
    });
    schedule.start();
    await delay(150);
    schedule.stop();
    assert.ok(calls >= 2, `${calls} calls`);
    assert.equal(errors.length, calls);

    let signal: AbortSignal | undefined;
    const hanging = new TokenCheckSchedule({ firstDelayMs: 0, jitterMs: 0, run: (given) => new Promise((resolve) => { signal = given; given.addEventListener('abort', () => resolve()); }) });
    hanging.start();
    await delay(50);
    assert.equal(signal?.aborted, false);
    hanging.stop();
    assert.equal(signal?.aborted, true);
    await delay(20);
    assert.equal(timers(), before, 'no timer of the schedules is left');
  });
});
