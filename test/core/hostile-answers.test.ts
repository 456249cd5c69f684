/**
 * What a hostile or broken peer (or a caller) could do to the core, as a reviewer tried it:
 * a check that throws at once, a Retry-After that overflows a timer, PIN answers with
 * expiries no date can be made of or ids that cannot be polled, names outside ASCII.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, PinPoller, PlexTvClient, PlexError, MAX_BACKOFF_MS, MIN_INTERVAL_MS, type PollOutcome } from '../../src/core';
import { serve, answer, plexErrorOf } from './loopback';
import { advance, delay, mockedClock, nextEvent } from '../support';

const identity = { clientIdentifier: 'hostile-client', product: 'Node-RED', deviceName: 'Test' };

function pinBody(fields: Record<string, unknown>): string {
  return JSON.stringify({ id: 4242, code: 'ABCD', authToken: null, expiresIn: 900, expiresAt: new Date(Date.now() + 900_000).toISOString(), ...fields });
}

describe('PinPoller with a check that throws', () => {
  it('ends the PIN with the error when check throws at once, and nothing escapes (no uncaught exception)', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    try {
      const thrown = new PlexError('No Plex account is set', { kind: 'input' });
      const outcomes: PollOutcome[] = [];
      const poller = new PinPoller({
        check: () => {
          throw thrown; // as usableAccount does for a deleted account, before any promise exists
        },
        onOutcome: (outcome) => outcomes.push(outcome),
      });
      poller.add({ id: 7, intervalMs: MIN_INTERVAL_MS });
      await delay(100);
      assert.deepEqual(outcomes, [{ id: 7, kind: 'failed', error: thrown }]);
      assert.equal(poller.has(7), false);
      assert.deepEqual(uncaught, []);
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    }
  });

  it('ends the PIN as failed (not retried as a network fault) when check throws something that is not a PlexError', async () => {
    const outcome = await nextEvent<PollOutcome>((resolve) => {
      new PinPoller({
        check: () => {
          throw new TypeError('cannot read properties of undefined');
        },
        onOutcome: resolve,
      }).add({ id: 8, intervalMs: MIN_INTERVAL_MS });
    }, 2000);
    assert.equal(outcome.kind, 'failed');
    assert.match((outcome as { error: PlexError }).error.message, /PIN 8 could not be checked: TypeError/);
  });
});

describe('PinPoller with a peer that says "wait for ever", on a mocked clock', () => {
  mockedClock(); // its setTimeout fires a delay that overflows after 1 ms, as the real one does

  it('keeps to the backoff cap when plex.tv sends Retry-After: 99999999999 (that overflowed setTimeout: a poll every millisecond)', async () => {
    const peer = await serve(
      answer(429, '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}', 'application/json', { 'Retry-After': '99999999999' }),
    );
    const http = new HttpClient({ timeoutMs: 2000 });
    const plexTv = new PlexTvClient(identity, http, peer.url);
    let checks = 0;
    const check = (id: number, signal: AbortSignal) => {
      checks += 1;
      return plexTv.checkPin(id, signal);
    };
    const poller = new PinPoller({ check, onOutcome: () => undefined });
    const answered = () => peer.requests.length === checks && poller.pending()[0]?.faults === checks;
    try {
      // An expiry weeks away (a msg may say so) no longer bounds the wait below 2^31 ms.
      poller.add({ id: 9, intervalMs: MIN_INTERVAL_MS, expiresAt: Date.now() + 60 * 24 * 3600_000 });
      // The first poll comes with the first step of 100 ms, the next one the cap later.
      await advance(MAX_BACKOFF_MS, { busy: () => !answered() });
      assert.equal(peer.requests.length, 1, `one poll, then a wait of ${MAX_BACKOFF_MS} ms; saw ${peer.requests.length}`);
      assert.equal(poller.pending()[0].faults, 1);
      await advance(100, { busy: () => !answered() });
      assert.equal(peer.requests.length, 2, 'and the next poll once the cap has passed');
    } finally {
      poller.stop();
      http.close();
      await peer.close();
    }
  });
});

describe('PIN answers that no date or poll can be made of are errors naming the field', () => {
  let body = '';
  let peer: Awaited<ReturnType<typeof serve>>;
  const http = new HttpClient({ timeoutMs: 2000 });
  let plexTv: PlexTvClient;
  before(async () => {
    peer = await serve((_req, res) => answer(201, body)(_req, res));
    plexTv = new PlexTvClient(identity, http, peer.url);
  });
  after(async () => {
    http.close();
    await peer.close();
  });

  async function createPinError(fields: Record<string, unknown>): Promise<PlexError> {
    body = pinBody(fields);
    return plexErrorOf(plexTv.createPin({ strong: false }));
  }

  it('expiresIn: 1e20 (was a bare "RangeError: Invalid time value")', async () => {
    const error = await createPinError({ expiresIn: 1e20, expiresAt: undefined });
    assert.equal(error.kind, 'response');
    assert.equal(error.field, 'expiresIn');
    assert.match(error.message, /^plex\.tv PIN: field expiresIn must be <= 31536000$/);
  });

  it('neither expiresAt nor expiresIn (was sent on as a PIN that had already expired)', async () => {
    const error = await createPinError({ expiresIn: undefined, expiresAt: undefined });
    assert.equal(error.kind, 'response');
    assert.match(error.message, /fields expiresAt and expiresIn are both missing or unreadable/);
  });

  it('an expiresAt that is no date and no expiresIn', async () => {
    const error = await createPinError({ expiresIn: undefined, expiresAt: 'soon' });
    assert.match(error.message, /expiresAt and expiresIn/);
  });

  it('an unreadable expiresAt is passed over when expiresIn is there', async () => {
    body = pinBody({ expiresIn: 600, expiresAt: 'soon' });
    const { value: pin } = await plexTv.createPin({ strong: false });
    assert.equal(pin.expiresIn, 600);
    assert.ok(Math.abs(Date.parse(pin.expiresAt) - (Date.now() + 600_000)) < 5000, pin.expiresAt);
  });

  it('a PIN id above 2^53 (JSON.parse loses its digits: it could never be polled)', async () => {
    body = pinBody({}).replace('"id":4242', '"id":12345678901234567890');
    const error = await plexErrorOf(plexTv.createPin({ strong: false }));
    assert.equal(error.field, 'id');
    assert.match(error.message, /field id must be <= 9007199254740991/);
  });

  it('the largest safe id, 16 digits, is a PIN like any other', async () => {
    body = pinBody({ id: Number.MAX_SAFE_INTEGER });
    assert.equal((await plexTv.createPin({ strong: false })).value.id, Number.MAX_SAFE_INTEGER);
  });
});

describe('a product or device name outside ASCII', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 3000 });
  before(() => standIn.start());
  after(async () => {
    http.close();
    await standIn.stop();
  });

  it('reaches plex.tv as UTF-8 query parameters, as Plex takes every X-Plex-* value (it was ERR_INVALID_CHAR, retried as a network fault)', async () => {
    const plexTv = new PlexTvClient({ clientIdentifier: 'utf8-client', product: 'Wohnzimmer-Ü', deviceName: 'リビング' }, http, standIn.url);
    const { value: pin } = await plexTv.createPin({ strong: true });
    const request = standIn.requests.at(-1)!;
    const query = new URL(request.path, 'http://x').searchParams;
    assert.equal(query.get('X-Plex-Product'), 'Wohnzimmer-Ü');
    assert.equal(query.get('X-Plex-Device-Name'), 'リビング');
    assert.equal(query.get('strong'), 'true');
    assert.equal(request.headers['x-plex-product'], undefined);
    assert.equal(request.headers['x-plex-client-identifier'], 'utf8-client', 'ASCII values stay headers');
    assert.equal(standIn.pins.get(pin.id)!.product, 'Wohnzimmer-Ü');
    // The approval page carries the names too, encoded for a URL.
    assert.match(pin.authUrl, /context%5Bdevice%5D%5Bproduct%5D=Wohnzimmer-%C3%9C/);

    const token = standIn.approve(pin.id);
    const user = await plexTv.getUser(token);
    assert.equal(user.value.username, 'someone');
    const userRequest = standIn.requests.at(-1)!;
    assert.equal(userRequest.headers['x-plex-token'], token, 'the token still travels as a header');
    assert.ok(!userRequest.path.includes(token), 'and never in the URL');
  });
});

describe('PinPoller through garbled answers while a PIN waits', () => {
  it('backs off and goes on through a truncated body, an HTML page with 200, an empty body, a schema miss and a 403; approval still comes', async () => {
    const garbled: Array<[number, string, string]> = [
      [200, '{"id": 4242, "code": "AB', 'application/json'],
      [200, '<html><head><title>Maintenance</title></head></html>', 'text/html'],
      [200, '', 'application/json'],
      [200, '{"id": "not a number", "code": "ABCD"}', 'application/json'],
      [403, '<html><head><title>403 Forbidden</title></head></html>', 'text/html'],
    ];
    let answered = 0;
    const peer = await serve((req, res) => {
      const next = garbled[answered++];
      if (next) return answer(...next)(req, res);
      answer(200, pinBody({ authToken: 'approved-token' }))(req, res);
    });
    const http = new HttpClient({ timeoutMs: 2000 });
    const plexTv = new PlexTvClient(identity, http, peer.url);
    const warnings: string[] = [];
    try {
      const outcome = await nextEvent<PollOutcome>(
        (resolve) => {
          // What is under test is the run of faults, not its pace: polled every 10 ms, backing off up to 40 ms.
          new PinPoller({
            check: (id, signal) => plexTv.checkPin(id, signal),
            onOutcome: resolve,
            onWarning: (text) => warnings.push(text),
            minIntervalMs: 10,
            faultBackoffCapMs: 40,
          }).add({ id: 4242, intervalMs: 10, expiresAt: Date.now() + 120_000 });
        },
        5000,
        'approval',
      );
      assert.equal(outcome.kind, 'approved');
      assert.equal(peer.requests.length, garbled.length + 1);
      const faults = warnings.filter((text) => !text.includes('strays from the documented schema'));
      assert.equal(faults.length, 1, `one warning for the run of faults: ${faults.join(' | ')}`);
      assert.match(faults[0], /^PIN 4242: plex\.tv \(GET \/api\/v2\/pins\/4242\) answered with JSON that cannot be read.*; trying again$/);
    } finally {
      http.close();
      await peer.close();
    }
  });

  it('ends the PIN on 400 and 401 only, as before', async () => {
    for (const status of [400, 401]) {
      const peer = await serve(answer(status, '{"errors":[{"code":1000,"message":"wrong"}]}'));
      const http = new HttpClient({ timeoutMs: 2000 });
      const plexTv = new PlexTvClient(identity, http, peer.url);
      const outcome = await nextEvent<PollOutcome>((resolve) => {
        new PinPoller({ check: (id, signal) => plexTv.checkPin(id, signal), onOutcome: resolve }).add({ id: 1, intervalMs: MIN_INTERVAL_MS });
      }, 5000);
      assert.equal(outcome.kind, 'failed', String(status));
      http.close();
      await peer.close();
    }
  });
});
