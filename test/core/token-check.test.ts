import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, PlexTvClient, TokenCheckSchedule, checkToken, type TokenCheckResult } from '../../src/core';
import { advance, delay, mockedClock } from '../support';

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
    for (const fault of [
      { status: 503 },
      { status: 429, headers: { 'Retry-After': '1' } },
      { status: 422, body: '{"errors":[{"code":1,"message":"Unprocessable"}]}' },
      { reset: true as const },
    ]) {
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

describe('TokenCheckSchedule on a mocked clock', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 2000 });
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

  it('checks after the first delay, then once per interval, against plex.tv', async () => {
    const token = standIn.addAccount('scheduled');
    const results: Array<{ at: number; result: TokenCheckResult }> = [];
    let inFlight = 0;
    const started = Date.now();
    const schedule = new TokenCheckSchedule({
      firstDelayMs: 100,
      intervalMs: 150,
      jitterMs: 0,
      run: async (signal) => {
        inFlight += 1;
        results.push({ at: Date.now() - started, result: await checkToken(plexTv, token, signal).finally(() => (inFlight -= 1)) });
      },
    });
    // The clock stands still while a check is in flight: the next interval starts when it ends.
    const steps = { stepMs: 10, busy: () => inFlight > 0 };
    schedule.start();
    await advance(60, steps);
    assert.equal(results.length, 0, 'not at once');
    await advance(600, steps);
    schedule.stop();
    assert.deepEqual(
      results.map(({ at }) => at),
      [100, 250, 400, 550],
    );
    assert.deepEqual(results[0].result, { state: 'valid', username: 'scheduled' });
    await advance(400, steps);
    assert.equal(results.length, 4, 'none after stop()');
    assert.equal(standIn.requests.filter((r) => r.path === '/api/v2/user').length, 4);
  });

  it('jitters the first delay within the bound it is given', async () => {
    const fired: number[] = [];
    const started = Date.now();
    const schedule = new TokenCheckSchedule({
      firstDelayMs: 50,
      jitterMs: 200,
      intervalMs: 60_000,
      random: () => 0.75,
      run: async () => void fired.push(Date.now() - started),
    });
    schedule.start();
    await advance(400, { stepMs: 10 });
    schedule.stop();
    assert.deepEqual(fired, [200], 'after 50 + 0.75 * 200 ms');
  });

  it('never runs two checks at once: the next interval starts when a slow check ends', async () => {
    let running = 0;
    let most = 0;
    const runs: number[] = [];
    const started = Date.now();
    const schedule = new TokenCheckSchedule({
      firstDelayMs: 0,
      intervalMs: 10,
      jitterMs: 0,
      run: async () => {
        running += 1;
        runs.push(Date.now() - started);
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 100)); // a slow check: 100 ms on the mocked clock
        running -= 1;
      },
    });
    schedule.start();
    await advance(450, { stepMs: 10 });
    schedule.stop();
    assert.equal(most, 1);
    assert.deepEqual(
      runs.slice(1).map((at, index) => at - runs[index]),
      [110, 110, 110, 110],
      'each 100 ms of check, then the 10 ms interval',
    );
  });

  it('clamps a delay past what setTimeout can hold instead of firing at once', async () => {
    let runs = 0;
    // The mocked setTimeout fires a delay that overflows after 1 ms, as the real one does.
    const schedule = new TokenCheckSchedule({ firstDelayMs: 0, intervalMs: 1e13, jitterMs: 0, run: async () => void (runs += 1) });
    schedule.start();
    await advance(200, { stepMs: 10 });
    schedule.stop();
    assert.equal(runs, 1, 'the interval of 1e13 ms did not overflow into 1 ms');
  });
});

describe('TokenCheckSchedule on the real clock', () => {
  it('goes on after a check that throws, and stop() aborts a check in flight and leaves no timer', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const before = timers();
    const schedule = new TokenCheckSchedule({
      firstDelayMs: 0,
      intervalMs: 20,
      jitterMs: 0,
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
    const hanging = new TokenCheckSchedule({
      firstDelayMs: 0,
      jitterMs: 0,
      run: (given) =>
        new Promise((resolve) => {
          signal = given;
          given.addEventListener('abort', () => resolve());
        }),
    });
    hanging.start();
    await delay(50);
    assert.equal(signal?.aborted, false);
    hanging.stop();
    assert.equal(signal?.aborted, true);
    await delay(20);
    assert.equal(timers(), before, 'no timer of the schedules is left');
  });
});
