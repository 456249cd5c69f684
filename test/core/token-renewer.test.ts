import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, PlexTvClient, DeviceKey, TokenRenewer, PlexError, type VerifiedPlexJwt, type TokenRenewerOptions } from '../../src/core';

const identity = { clientIdentifier: 'renewer-client', product: 'Home Automation', deviceName: 'Attic Pi' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms`);
    await sleep(20);
  }
}

describe('TokenRenewer against the stand-in', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 3000 });
  let plexTv: PlexTvClient;
  let renewer: TokenRenewer | undefined;
  const exchanges = () => standIn.requests.filter((r) => r.method === 'POST' && r.path === '/api/v2/auth/token').length;

  before(async () => {
    await standIn.start();
    plexTv = new PlexTvClient(identity, http, standIn.url);
  });
  afterEach(() => {
    renewer?.stop();
    standIn.jwtLifetimeSec = 7 * 24 * 3600;
    standIn.clearFaults();
  });
  after(async () => {
    http.close();
    await standIn.stop();
  });

  /** A signed-in device (classic account moved to JWT) and a renewer for it, with records of its callbacks. */
  async function signedIn(options: Partial<TokenRenewerOptions> = {}) {
    const key = await DeviceKey.generate();
    await plexTv.registerDeviceKey(standIn.addAccount('renewing-user'), key.publicJwk);
    const first = await plexTv.obtainPlexJwt(key);
    const renewed: VerifiedPlexJwt[] = [];
    const rejected: PlexError[] = [];
    const faults: PlexError[] = [];
    renewer = new TokenRenewer({
      renew: (signal) => plexTv.obtainPlexJwt(key, signal),
      onRenewed: (jwt) => renewed.push(jwt),
      onRejected: (error) => rejected.push(error),
      onFault: (error) => faults.push(error),
      ...options,
    });
    return { key, first, renewed, rejected, faults, renewer };
  }

  it('renews when less than a seventh of the lifetime is left, and then goes on with the new token', async () => {
    standIn.jwtLifetimeSec = 3;
    const { first, renewed, renewer } = await signedIn();
    const started = Date.now();
    renewer.start(first);
    assert.equal(await renewer.token(), first.token);
    await until(() => renewed.length === 1, 5000);
    const after = Date.now() - started;
    // 6/7 of 3 s (whole seconds in the JWT: between about 1.6 and 2.6 s).
    assert.ok(after > 1200 && after < 3500, `renewed after ${after} ms`);
    assert.notEqual(renewed[0].token, first.token);
    assert.equal(await renewer.token(), renewed[0].token);
    assert.equal((await plexTv.getUser(renewed[0].token)).value.username, 'renewing-user');
    await until(() => renewed.length === 2, 5000);
    assert.equal(renewer.state, 'valid');
  });

  it('on a 498: one renewal shared by every caller, the call retried once, and no renewal loop', async () => {
    const { first, renewed, renewer } = await signedIn();
    renewer.start(first);
    standIn.expirePlexJwt(first.token);
    assert.equal(((await plexTv.getUser(first.token).catch((error: PlexError) => error)) as PlexError).status, 498);
    const before = exchanges();
    const tokens = await Promise.all([...Array(5)].map(() => renewer.renewNow(first.token)).concat(renewer.token()));
    assert.equal(exchanges() - before, 1);
    assert.equal(new Set(tokens).size, 1);
    assert.notEqual(tokens[0], first.token);
    assert.equal((await plexTv.getUser(tokens[0])).value.username, 'renewing-user');
    // A late 498 for the old token, and a 498 for the token renewed just now: nothing renewed again.
    assert.equal(await renewer.renewNow(first.token), tokens[0]);
    assert.equal(await renewer.renewNow(tokens[0]), tokens[0]);
    assert.equal(exchanges() - before, 1);
    assert.equal(renewed.length, 1);
  });

  it('never loops when the clock says every token has expired', async () => {
    const { first, renewed, renewer } = await signedIn({ now: () => Date.now() + 30 * 24 * 3600_000 });
    const before = exchanges();
    renewer.start(first);
    await sleep(1500);
    assert.equal(renewed.length, 1);
    assert.equal(exchanges() - before, 1);
  });

  it('a token far from expiry sets no timer beyond 2^31-1 ms (which would fire at once)', async () => {
    standIn.jwtLifetimeSec = 400 * 24 * 3600;
    const { first, renewed, renewer } = await signedIn();
    renewer.start(first);
    await sleep(300);
    assert.equal(renewed.length, 0);
  });

  it('a removed device: its JWT is refused (401, PLEX_TOKEN_REJECTED on the call); its key refused on renewal (422) is a fault retried with backoff, not a latch', async () => {
    const { first, rejected, faults, renewer } = await signedIn({ backoffMs: 60_000 });
    renewer.start(first);
    standIn.revokePlexJwt(first.token);
    const call = await plexTv.getUser(first.token).catch((caught: PlexError) => caught);
    assert.deepEqual([(call as PlexError).status, (call as PlexError).code], [401, 'PLEX_TOKEN_REJECTED']);
    const error = await renewer.renewNow(first.token).catch((caught: PlexError) => caught);
    assert.ok(error instanceof PlexError);
    assert.deepEqual([error.status, error.plexMessage, error.code], [422, 'Signature Verification Failed', 'PLEX_HTTP']);
    assert.ok(!error.message.includes(first.token));
    assert.deepEqual([rejected.length, faults.length, renewer.state], [0, 1, 'waiting']);
    // While it backs off, callers get that fault rather than a renewal each.
    const before = exchanges();
    await assert.rejects(renewer.renewNow(first.token), (caught: unknown) => caught === error);
    assert.equal(exchanges(), before);
  });

  it('a passing fault (503, then 429) retries with backoff until the renewal succeeds', async () => {
    const { first, renewed, faults, rejected, renewer } = await signedIn({ backoffMs: 50 });
    renewer.start(first);
    standIn.fail(/^POST \/api\/v2\/auth\/token/, { status: 503, body: '' }, 1);
    standIn.fail(/^POST \/api\/v2\/auth\/token/, { status: 429, body: '', headers: { 'Retry-After': '0' } }, 1);
    standIn.expirePlexJwt(first.token);
    const error = await renewer.renewNow(first.token).catch((caught: PlexError) => caught);
    assert.ok(error instanceof PlexError && error.transient, String(error));
    // While the old token is still good in the renewer's eyes, callers keep getting it.
    assert.equal(await renewer.token(), first.token);
    await until(() => renewed.length === 1, 3000);
    assert.deepEqual(
      faults.map((f) => f.status),
      [503, 429],
    );
    assert.equal(rejected.length, 0);
    assert.equal(await renewer.token(), renewed[0].token);
  });

  /** plex.tv's answer to a renewal: a status and its errors[] message. */
  const refusal = (status: number, message: string) => ({ status, body: JSON.stringify({ errors: [{ code: 1000, message, status }] }) });

  for (const [status, message] of [
    [403, 'Forbidden'],
    [404, 'Not Found'],
    [400, 'Bad Request'],
    [408, 'Request Timeout'],
    [422, 'Nonce already used'],
  ] as const) {
    it(`a ${status} "${message}" while renewing is a passing fault: backoff, no "sign in again", and the next renewal recovers by itself`, async () => {
      const { first, renewed, rejected, faults, renewer } = await signedIn({ backoffMs: 1 });
      renewer.start(first);
      standIn.fail(/^POST \/api\/v2\/auth\/token/, refusal(status, message), 1);
      standIn.expirePlexJwt(first.token);
      const error = await renewer.renewNow(first.token).catch((caught: PlexError) => caught);
      assert.ok(error instanceof PlexError, String(error));
      assert.equal(error.status, status);
      assert.notEqual(error.code, 'PLEX_TOKEN_REJECTED');
      assert.equal(rejected.length, 0);
      assert.notEqual(renewer.state, 'rejected');
      await until(() => renewed.length === 1, 3000);
      assert.deepEqual(
        faults.map((fault) => fault.status),
        [status],
      );
      assert.equal(renewer.state, 'valid');
      assert.equal(await renewer.token(), renewed[0].token);
    });
  }

  for (const [status, message] of [
    [401, 'User could not be authenticated'],
    [422, 'Invalid token'],
  ] as const) {
    it(`a ${status} "${message}" while renewing still means "sign in again" (PLEX_TOKEN_REJECTED), and nothing is sent after`, async () => {
      const { first, rejected, faults, renewer } = await signedIn({ backoffMs: 1 });
      renewer.start(first);
      standIn.fail(/^POST \/api\/v2\/auth\/token/, refusal(status, message), 1);
      standIn.expirePlexJwt(first.token);
      const error = await renewer.renewNow(first.token).catch((caught: PlexError) => caught);
      assert.ok(error instanceof PlexError, String(error));
      assert.deepEqual([error.code, error.status, rejected.length, faults.length, renewer.state], ['PLEX_TOKEN_REJECTED', status, 1, 0, 'rejected']);
      const before = exchanges();
      await assert.rejects(renewer.token(), (caught: PlexError) => caught.code === 'PLEX_TOKEN_REJECTED');
      assert.equal(exchanges(), before);
    });
  }

  it('stop() clears the timer and ends a renewal under way without callbacks', async () => {
    standIn.jwtLifetimeSec = 2;
    const { first, renewed, rejected, renewer } = await signedIn();
    renewer.start(first);
    standIn.fail(/^POST \/api\/v2\/auth\/token/, { hang: true }, 1);
    const pending = renewer.renewNow(first.token).catch((caught: PlexError) => caught);
    await sleep(100);
    renewer.stop();
    assert.equal(((await pending) as PlexError).kind, 'aborted');
    await sleep(2500);
    assert.deepEqual([renewed.length, rejected.length, renewer.state], [0, 0, 'stopped']);
  });
});
