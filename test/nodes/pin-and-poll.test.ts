import { describe, it, before, after, afterEach, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { MAX_PENDING_PINS } from '../../src/core';
import { helper, startRuntime, stopRuntime, loadUnderTest, outcome, loggedText, stateOfRuntime } from './harness';
import { advance, advanceUntil, advanceUntilSettled, mockedClock, nextEvent } from '../support';

const plexHeaders = [
  'x-plex-client-identifier',
  'x-plex-product',
  'x-plex-version',
  'x-plex-platform',
  'x-plex-platform-version',
  'x-plex-device',
  'x-plex-device-name',
];

describe('plex-pin', () => {
  const standIn = new PlexStandIn();
  before(async () => {
    await standIn.start();
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stop();
  });
  afterEach(async () => {
    standIn.clearFaults();
    await helper.unload();
  });

  it('sends a strong PIN with the approval page for this client, as the contract says', async () => {
    await loadUnderTest(standIn, 'plex-pin', { account: 'acct', strong: true, forwardUrl: 'https://example.org/back' });
    const result = await outcome({ payload: 1, topic: 'keep me' });
    assert.ok('port' in result);
    const { payload, topic } = result.msg;
    assert.equal(topic, 'keep me');
    assert.deepEqual(Object.keys(payload).sort(), ['authUrl', 'clientIdentifier', 'code', 'expiresAt', 'expiresIn', 'id', 'qr', 'strong']);
    const pin = standIn.pins.get(payload.id)!;
    assert.equal(payload.code, pin.code);
    assert.equal(payload.strong, true);
    assert.equal(payload.clientIdentifier, 'client-under-test');
    assert.equal(payload.qr, `https://plex.tv/api/v2/pins/qr/${pin.code}`);
    assert.equal(payload.expiresAt, new Date(pin.expiresAt).toISOString().replace(/\.\d+Z$/, '.000Z'));
    assert.ok(payload.expiresIn > 1700 && payload.expiresIn <= 1800);
    const auth = new URL(payload.authUrl);
    assert.equal(auth.origin + auth.pathname, 'https://app.plex.tv/auth');
    const params = new URLSearchParams(auth.hash.replace(/^#\?/, ''));
    assert.equal(params.get('clientID'), 'client-under-test');
    assert.equal(params.get('code'), pin.code);
    assert.equal(params.get('context[device][product]'), 'Node-RED');
    assert.equal(params.get('forwardUrl'), 'https://example.org/back');
    assert.match(payload.authUrl, /&context%5Bdevice%5D%5Bproduct%5D=Node-RED/);
  });

  it('sends a 4-character PIN with plex.tv/link, and every call carries the whole identity', async () => {
    await loadUnderTest(standIn, 'plex-pin', { account: 'acct', strong: false, forwardUrl: '' });
    const result = await outcome({ payload: '' });
    assert.ok('port' in result);
    assert.equal(result.msg.payload.code.length, 4);
    assert.equal(result.msg.payload.strong, false);
    assert.equal(result.msg.payload.authUrl, 'https://plex.tv/link');
    const request = standIn.requests.filter((r) => r.path === '/api/v2/pins').pop()!;
    for (const header of plexHeaders) assert.ok(request.headers[header], `${header} is sent`);
    assert.equal(request.headers.accept, 'application/json');
    assert.equal(request.headers['x-plex-client-identifier'], 'client-under-test');
    assert.equal(request.headers['x-plex-token'], undefined, 'no token is needed to make a PIN');
  });

  it('takes forwardUrl from the msg when told to', async () => {
    await loadUnderTest(standIn, 'plex-pin', { account: 'acct', strong: true, forwardUrl: 'back', forwardUrlType: 'msg' });
    const result = await outcome({ payload: 1, back: 'https://dash.example/done' });
    assert.ok('port' in result);
    assert.match(result.msg.payload.authUrl, /&forwardUrl=https%3A%2F%2Fdash\.example%2Fdone$/);
  });

  const faults: Array<[string, Parameters<PlexStandIn['fail']>[1], RegExp]> = [
    [
      '400 with Plex JSON',
      { status: 400, body: '{"errors":[{"code":1000,"message":"X-Plex-Client-Identifier is missing","status":400}]}' },
      /answered 400 Bad Request: X-Plex-Client-Identifier is missing \(code 1000\)/,
    ],
    [
      '429 with Retry-After',
      { status: 429, body: '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}', headers: { 'Retry-After': '5' } },
      /answered 429 Too Many Requests: API rate limit exceeded \(code 1003\)/,
    ],
    [
      '503 HTML page',
      { status: 503, body: '<html><head><title>Down for maintenance</title></head></html>', contentType: 'text/html' },
      /answered 503 Service Unavailable: Down for maintenance/,
    ],
    ['XML body', { status: 201, body: '<?xml version="1.0"?><pin id="5" />', contentType: 'text/xml' }, /plex\.tv PIN: field code is missing/],
    ['empty body', { status: 201, body: '' }, /answered with an empty body/],
    ['truncated JSON', { status: 201, body: '{"id":5,"code":"AB' }, /JSON that cannot be read/],
    ['wrong field type', { status: 201, body: '{"id":"five","code":"ABCD"}' }, /field id must be integer/],
    ['a reset connection', { reset: true }, /could not be reached .*ECONNRESET/],
    ['a redirect to another host', { redirect: 'http://127.0.0.2:1/api/v2/pins', status: 307 }, /redirected to another host \(127\.0\.0\.2:1\)/],
  ];
  for (const [name, fault, message] of faults) {
    it(`reports ${name} to a Catch node, then works again`, async () => {
      await loadUnderTest(standIn, 'plex-pin', { account: 'acct', strong: true, forwardUrl: '' });
      standIn.fail(/^POST \/api\/v2\/pins/, fault);
      const failed = await outcome({ payload: 1 });
      assert.ok('error' in failed, 'a Catch node gets it');
      assert.match(failed.error.message, message);
      assert.equal(failed.error.source.type, 'plex-pin');
      const next = await outcome({ payload: 2 });
      assert.ok('port' in next, 'the next msg works');
    });
  }

  it('needs an account', async () => {
    await loadUnderTest(standIn, 'plex-pin', { account: '', strong: true, forwardUrl: '' });
    const failed = await outcome({ payload: 1 });
    assert.ok('error' in failed);
    assert.match(failed.error.message, /plex-auth\.error\.no-account/);
  });
});

describe('plex-poll-token', () => {
  const standIn = new PlexStandIn({ approveAfterPolls: 2 });
  before(async () => {
    await standIn.start();
    await startRuntime();
  });
  // The node's timers run on a mocked clock; plex.tv's answers are real I/O.
  mockedClock();
  after(async () => {
    await stopRuntime();
    await standIn.stop();
  });
  beforeEach(() => standIn.clearFaults());
  afterEach(async () => {
    await helper.unload();
    stateOfRuntime().setPolls('under', []); // what it still polled: the next test's node would poll it again
  });

  /** Made in the stand-in, not through fetch: see mockedClock. */
  function newPin(approveAfterPolls?: number): number {
    const pin = standIn.newPin({ clientIdentifier: 'client-under-test', product: 'Node-RED', strong: true });
    pin.approveAfterPolls = approveAfterPolls;
    return pin.id;
  }
  const poll = (props: Record<string, unknown> = {}) =>
    loadUnderTest(standIn, 'plex-poll-token', { account: 'acct', interval: 1, timeout: 0, store: false, ...props }, { outputs: 2, token: null });
  const polled = (id: number) => standIn.pins.get(id)!.polls > 0;

  it('delivers the token on output 1 once approved, for an id as number, string or { id }', async () => {
    await poll();
    for (const payload of [newPin(2), String(newPin(2)), { id: newPin(2), code: 'x' }]) {
      const result = await advanceUntilSettled(outcome({ payload, topic: 't' }));
      assert.ok('port' in result && result.port === 0);
      const id = typeof payload === 'object' ? payload.id : Number(payload);
      assert.deepEqual(result.msg.payload, {
        id,
        authToken: standIn.pins.get(id)!.authToken,
        clientIdentifier: 'client-under-test',
        stored: false,
        newRegistration: false,
      });
      assert.equal(result.msg.topic, 't');
    }
  });

  it('ends on output 2 with "expired" when the PIN expires or plex.tv no longer knows it', async () => {
    await poll();
    const id = newPin();
    const pending = outcome({ payload: id });
    await advanceUntil(() => polled(id));
    standIn.expire(id);
    const result = await advanceUntilSettled(pending);
    assert.ok('port' in result && result.port === 1);
    assert.deepEqual(result.msg.payload, { id, reason: 'expired' });
    const unknown = await advanceUntilSettled(outcome({ payload: 99999999 }));
    assert.ok('port' in unknown && unknown.port === 1);
    assert.deepEqual(unknown.msg.payload, { id: 99999999, reason: 'expired' });
  });

  it('ends with "timeout" after its timeout, and with "cancelled" on msg.cancel', async () => {
    await poll({ timeout: 2 });
    const id = newPin();
    const started = Date.now();
    const timedOut = await advanceUntilSettled(outcome({ payload: id }));
    assert.ok('port' in timedOut && timedOut.port === 1);
    assert.deepEqual(timedOut.msg.payload, { id, reason: 'timeout' });
    assert.ok(Date.now() - started >= 2000);
    await helper.unload();

    await poll();
    const [a, b] = [newPin(), newPin()];
    const first = outcome({ payload: a });
    await advance(300);
    helper.getNode('under').receive({ payload: a, cancel: true });
    const cancelled = await first;
    assert.ok('port' in cancelled && cancelled.port === 1);
    assert.deepEqual(cancelled.msg.payload, { id: a, reason: 'cancelled' });
    const second = outcome({ payload: b });
    await advance(300);
    helper.getNode('under').receive({ cancel: true });
    const all = await second;
    assert.ok('port' in all);
    assert.deepEqual(all.msg.payload, { id: b, reason: 'cancelled' });
  });

  it('polls several PINs at once, and the same id sent twice only once', async () => {
    await poll();
    const [a, b] = [newPin(3), newPin(3)];
    const approved: any[] = [];
    const done = new Promise<void>((resolve) =>
      helper.getNode('out0').on('input', (msg: any) => {
        approved.push(msg);
        if (approved.length === 3) resolve();
      }),
    );
    const under = helper.getNode('under');
    under.receive({ payload: a, topic: 'first' });
    under.receive({ payload: a, topic: 'second' });
    under.receive({ payload: b, topic: 'third' });
    await advanceUntilSettled(done);
    assert.deepEqual(approved.map((m) => m.topic).sort(), ['first', 'second', 'third']);
    assert.equal(standIn.pins.get(a)!.polls, 3, 'PIN a polled by one loop');
    assert.equal(standIn.pins.get(b)!.polls, 3);
  });

  it('goes on through 429 (Retry-After), 503 and a reset connection, then delivers', async () => {
    await poll();
    const id = newPin(2);
    standIn.fail(new RegExp(`^GET /api/v2/pins/${id}`), {
      status: 429,
      body: '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}',
      headers: { 'Retry-After': '1' },
    });
    standIn.fail(new RegExp(`^GET /api/v2/pins/${id}`), { status: 503, body: '<html><title>503</title></html>', contentType: 'text/html' });
    standIn.fail(new RegExp(`^GET /api/v2/pins/${id}`), { reset: true });
    const result = await advanceUntilSettled(outcome({ payload: id }));
    assert.ok('port' in result && result.port === 0, JSON.stringify(result));
    assert.equal(result.msg.payload.authToken, standIn.pins.get(id)!.authToken);
  });

  it('reports a fault that will not pass (401) to a Catch node', async () => {
    await poll();
    const id = newPin();
    standIn.fail(new RegExp(`^GET /api/v2/pins/${id}`), { status: 401, body: '{"errors":[{"code":1001,"message":"User could not be authenticated"}]}' });
    const result = await advanceUntilSettled(outcome({ payload: id }));
    assert.ok('error' in result);
    assert.match(result.error.message, /answered 401 Unauthorized: User could not be authenticated \(code 1001\)/);
  });

  for (const payload of [undefined, null, true, 'abc', -5, 0, 1.5, 2 ** 60, [], {}, { id: 'x' }]) {
    it(`refuses a PIN id of ${JSON.stringify(payload)} with a clear error`, async () => {
      await poll();
      const result = await outcome({ payload });
      assert.ok('error' in result);
      assert.match(result.error.message, /PIN id must be a positive whole number/);
    });
  }

  it(`polls at most ${MAX_PENDING_PINS} PINs at once: a msg for one more is PLEX_BAD_INPUT naming the cap, one for a PIN already polled is taken`, async () => {
    await poll();
    const under = helper.getNode('under');
    // The clock stands still: no poll starts, what is under test is what the node takes.
    for (let id = 1; id <= MAX_PENDING_PINS; id++) under.receive({ payload: id });
    const refused = await outcome({ payload: MAX_PENDING_PINS + 1, topic: 'one too many' });
    assert.ok('error' in refused, 'a Catch node gets it');
    assert.equal(refused.error.code, 'PLEX_BAD_INPUT');
    assert.match(refused.error.message, new RegExp(`PIN ${MAX_PENDING_PINS + 1} is not polled: ${MAX_PENDING_PINS} PINs are being polled already`));
    assert.equal(refused.msg.topic, 'one too many');

    const ended = nextEvent<any[]>(
      (resolve) => {
        const msgs: any[] = [];
        helper.getNode('out1').on('input', (msg: any) => msgs.push(msg) === 2 && resolve(msgs));
      },
      5000,
      'both msgs of PIN 1',
    );
    under.receive({ payload: 1, topic: 'same PIN again' });
    under.receive({ payload: 1, cancel: true });
    assert.deepEqual(
      (await ended).map((msg) => [msg.topic, msg.payload]),
      [
        [undefined, { id: 1, reason: 'cancelled' }],
        ['same PIN again', { id: 1, reason: 'cancelled' }],
      ],
    );
  });

  it('with store on, keeps the token in the account, where the next nodes find it', async () => {
    await poll({ store: true });
    const id = newPin(1);
    const result = await advanceUntilSettled(outcome({ payload: id }));
    assert.ok('port' in result && result.port === 0);
    const token = standIn.pins.get(id)!.authToken!;
    assert.equal(result.msg.payload.stored, true);
    assert.equal((helper.getNode('acct') as any).account.token(), token);
    assert.equal((helper as any)._RED.nodes.getCredentials('acct').token, token);
    assert.ok(!loggedText().includes(token), 'the token is not logged');
  });
});
