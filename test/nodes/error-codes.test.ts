/**
 * The contract's msg.error.code, as a Catch node receives it, for every fault of the flow nodes:
 * answers the stand-in is told to give, peers that cannot be reached, and unusable msgs or config.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn, type Fault } from '../../dev/plex-stand-in';
import type { PlexErrorCode } from '../../src/core';
import { helper, startRuntime, stopRuntime, loadUnderTest, outcome, ACCOUNT_TOKEN } from './harness';
import { advanceUntil, advanceUntilSettled, mockedClock } from '../support';
import { selfSignedCertificate } from '../self-signed';

interface FaultCase {
  name: string;
  fault: Fault;
  code: PlexErrorCode;
}

/** While a PIN is polled only these end it (plex.tv saying the request is wrong, or a refused redirect); every other fault may pass. */
const endsPolling = ({ fault }: FaultCase) => ('status' in fault && (fault.status === 400 || fault.status === 401)) || 'redirect' in fault;

/** The answers every peer may give; `shapes` are a JSON and an XML answer that lack a field the node relies on. */
function answerFaults(shapes: { json: string; xml: string }): FaultCase[] {
  return [
    {
      name: '400 with Plex JSON',
      fault: { status: 400, body: '{"errors":[{"code":1000,"message":"X-Plex-Client-Identifier is missing","status":400}]}' },
      code: 'PLEX_HTTP',
    },
    {
      name: '401 with Plex JSON',
      fault: { status: 401, body: '{"errors":[{"code":1001,"message":"User could not be authenticated"}]}' },
      code: 'PLEX_TOKEN_REJECTED',
    },
    {
      name: '401 HTML page',
      fault: { status: 401, body: '<html><head><title>Unauthorized</title></head></html>', contentType: 'text/html' },
      code: 'PLEX_TOKEN_REJECTED',
    },
    {
      name: '403 HTML page',
      fault: { status: 403, body: '<html><head><title>Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>', contentType: 'text/html' },
      code: 'PLEX_HTTP',
    },
    { name: '422 "Invalid token"', fault: { status: 422, body: '{"errors":[{"code":1001,"message":"Invalid token"}]}' }, code: 'PLEX_TOKEN_REJECTED' },
    { name: '422 about something else', fault: { status: 422, body: '{"errors":[{"code":1099,"message":"Thumbprint Already Taken"}]}' }, code: 'PLEX_HTTP' },
    {
      name: '429 with Retry-After',
      fault: { status: 429, body: '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}', headers: { 'Retry-After': '5' } },
      code: 'PLEX_RATE_LIMITED',
    },
    { name: '500', fault: { status: 500, body: 'boom', contentType: 'text/plain' }, code: 'PLEX_HTTP' },
    {
      name: '503 HTML page',
      fault: { status: 503, body: '<html><head><title>Down for maintenance</title></head></html>', contentType: 'text/html' },
      code: 'PLEX_HTTP',
    },
    { name: 'HTML on 200', fault: { status: 200, body: '<!doctype html><html><body>login</body></html>', contentType: 'text/html' }, code: 'PLEX_BAD_ANSWER' },
    { name: 'an empty body', fault: { status: 200, body: '' }, code: 'PLEX_BAD_ANSWER' },
    { name: 'truncated JSON', fault: { status: 200, body: '{"MediaContainer":{"id":5,"code":"AB' }, code: 'PLEX_BAD_ANSWER' },
    { name: 'JSON of the wrong shape', fault: { status: 200, body: shapes.json }, code: 'PLEX_BAD_ANSWER' },
    { name: 'XML without a relied field', fault: { status: 200, body: shapes.xml, contentType: 'text/xml' }, code: 'PLEX_BAD_ANSWER' },
    { name: 'a 50 MB body', fault: { bytes: 50 * 1024 * 1024 }, code: 'PLEX_BAD_ANSWER' },
    { name: 'a reset connection', fault: { reset: true }, code: 'PLEX_UNREACHABLE' },
    { name: 'a redirect to another host', fault: { redirect: 'http://127.0.0.2:1/elsewhere', status: 307 }, code: 'PLEX_HTTP' },
  ];
}
const serverFaults = answerFaults({ json: '{"MediaContainer":{"size":0}}', xml: '<?xml version="1.0"?><MediaContainer size="0"/>' });
const plexTvFaults = answerFaults({ json: '{"id":"five","code":"ABCD"}', xml: '<?xml version="1.0"?><pin id="5" />' });

const REFUSED = 'http://127.0.0.1:1';
const UNKNOWN_HOST = 'http://nonexistent.invalid:32400';
const SOURCE = 'server://0123456789abcdef0123456789abcdef01234567';

/** The code a Catch node receives for `msg` (fails when an output answers instead). */
async function caughtCode(type: string, msg: Record<string, unknown> = {}): Promise<unknown> {
  const result = await outcome(msg);
  assert.ok('error' in result, `a Catch node gets it, not output ${'port' in result ? result.port : ''}`);
  assert.equal(result.error.source.type, type);
  assert.ok(!JSON.stringify(result.msg).includes(ACCOUNT_TOKEN), 'no token in the error msg');
  return result.error.code;
}

describe('msg.error.code at a Catch node', () => {
  const standIn = new PlexStandIn();
  const certificate = selfSignedCertificate();
  let tlsStandIn: PlexStandIn;

  before(async () => {
    tlsStandIn = new PlexStandIn({ tls: { key: certificate.key, cert: certificate.cert } });
    await standIn.start();
    await tlsStandIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stop();
    await tlsStandIn.stop();
    certificate.remove();
  });
  afterEach(async () => {
    standIn.clearFaults();
    await helper.unload();
  });

  const serverNodes: Array<[string, Record<string, unknown>, RegExp]> = [
    ['plex-transient-token', { server: 'srv' }, /^GET \/security\/token/],
    ['plex-source-info', { server: 'srv', source: SOURCE, refresh: false }, /^GET \/security\/resources/],
  ];
  for (const [type, props, route] of serverNodes) {
    describe(type, () => {
      for (const { name, fault, code } of serverFaults) {
        it(`${name} → ${code}`, async () => {
          await loadUnderTest(standIn, type, props);
          standIn.fail(route, fault);
          assert.equal(await caughtCode(type), code);
        });
      }

      const peers: Array<[string, () => string, PlexErrorCode]> = [
        ['a refused port', () => REFUSED, 'PLEX_UNREACHABLE'],
        ['an unknown host name', () => UNKNOWN_HOST, 'PLEX_UNREACHABLE'],
        ['a self-signed certificate without its CA', () => tlsStandIn.url, 'PLEX_TLS'],
      ];
      for (const [name, url, code] of peers) {
        it(`${name} → ${code}`, async () => {
          await loadUnderTest(standIn, type, props, { serverUrl: url() });
          assert.equal(await caughtCode(type), code);
        });
      }

      it('no token in the account nor the server → PLEX_NOT_SIGNED_IN', async () => {
        await loadUnderTest(standIn, type, props, { token: null });
        assert.equal(await caughtCode(type), 'PLEX_NOT_SIGNED_IN');
      });

      it('no server → PLEX_BAD_INPUT', async () => {
        await loadUnderTest(standIn, type, { ...props, server: '' });
        assert.equal(await caughtCode(type), 'PLEX_BAD_INPUT');
      });

      for (const url of ['', 'not a url', 'http://192.168.1.20:32400/web/index.html']) {
        it(`the server URL "${url}" → PLEX_BAD_INPUT`, async () => {
          await loadUnderTest(standIn, type, props, { serverUrl: url });
          assert.equal(await caughtCode(type), 'PLEX_BAD_INPUT');
        });
      }
    });
  }

  describe('plex-source-info input', () => {
    for (const payload of ['0123456789abcdef', '', 42, { source: SOURCE }]) {
      it(`the source ${JSON.stringify(payload)} → PLEX_BAD_INPUT`, async () => {
        await loadUnderTest(standIn, 'plex-source-info', { server: 'srv', source: '', refresh: false });
        assert.equal(await caughtCode('plex-source-info', { payload }), 'PLEX_BAD_INPUT');
      });
    }
  });

  describe('plex-pin', () => {
    const props = { account: 'acct', strong: true, forwardUrl: '' };
    for (const { name, fault, code } of plexTvFaults) {
      it(`${name} → ${code}`, async () => {
        await loadUnderTest(standIn, 'plex-pin', props);
        standIn.fail(/^POST \/api\/v2\/pins/, fault);
        assert.equal(await caughtCode('plex-pin', { payload: 1 }), code);
      });
    }

    const peers: Array<[string, () => string, PlexErrorCode]> = [
      ['a refused port', () => REFUSED, 'PLEX_UNREACHABLE'],
      ['an unknown host name', () => UNKNOWN_HOST, 'PLEX_UNREACHABLE'],
      ['a self-signed certificate without its CA', () => tlsStandIn.url, 'PLEX_TLS'],
      ['a plex.tv URL that is not a URL', () => 'not a url', 'PLEX_BAD_INPUT'],
    ];
    for (const [name, url, code] of peers) {
      it(`${name} → ${code}`, async () => {
        await loadUnderTest(standIn, 'plex-pin', props, { plexTvUrl: url() });
        assert.equal(await caughtCode('plex-pin', { payload: 1 }), code);
      });
    }

    it('no account → PLEX_BAD_INPUT', async () => {
      await loadUnderTest(standIn, 'plex-pin', { ...props, account: '' });
      assert.equal(await caughtCode('plex-pin', { payload: 1 }), 'PLEX_BAD_INPUT');
    });

    it('a forwardUrl from the msg that is not a string → PLEX_BAD_INPUT', async () => {
      await loadUnderTest(standIn, 'plex-pin', { ...props, forwardUrl: 'back', forwardUrlType: 'msg' });
      assert.equal(await caughtCode('plex-pin', { payload: 1, back: 42 }), 'PLEX_BAD_INPUT');
    });

    // Types the editor does not offer, but a hand-written flow may set: Node-RED throws for these instead of calling back.
    for (const [forwardUrlType, forwardUrl, words] of [
      ['json', '{bad', /JSON/],
      ['re', '[', /regular expression/],
      ['jsonata', '$$$(', /Expected "\)"/],
    ] as const) {
      it(`a forwardUrl of type ${forwardUrlType} that cannot be read → PLEX_BAD_INPUT, saying why`, async () => {
        await loadUnderTest(standIn, 'plex-pin', { ...props, forwardUrl, forwardUrlType });
        const result = await outcome({ payload: 1 });
        assert.ok('error' in result);
        assert.equal(result.error.code, 'PLEX_BAD_INPUT');
        assert.match(result.error.message, /^PlexError: forwardUrl: /);
        assert.match(result.error.message, words);
      });
    }
  });

  describe('plex-poll-token', () => {
    const poll = (props: Record<string, unknown> = {}) =>
      loadUnderTest(standIn, 'plex-poll-token', { account: 'acct', interval: 1, timeout: 0, store: false, ...props }, { outputs: 2, token: null });

    for (const { name, fault, code } of plexTvFaults.filter(endsPolling)) {
      it(`${name} ends the PIN → ${code}`, async () => {
        await poll();
        standIn.fail(/^GET \/api\/v2\/pins\/4242/, fault);
        assert.equal(await caughtCode('plex-poll-token', { payload: 4242 }), code);
      });
    }

    // Every other fault may pass: a user who approves a moment later still gets the token. The backoff runs on a mocked clock.
    describe('a fault that passes', () => {
      mockedClock();

      for (const { name, fault } of plexTvFaults.filter((each) => !endsPolling(each))) {
        it(`${name} does not end the PIN: polling goes on and the approval comes out`, async () => {
          await poll();
          const { id } = standIn.newPin({ clientIdentifier: 'client-under-test', product: 'Node-RED', strong: false }); // not through fetch: see mockedClock
          standIn.fail(new RegExp(`^GET /api/v2/pins/${id}`), fault);
          const result = outcome({ payload: id }, 15_000);
          await advanceUntil(() => standIn.requests.some((request) => request.path.startsWith(`/api/v2/pins/${id}`))); // the fault is answered first
          const token = standIn.approve(id);
          const approved = await advanceUntilSettled(result);
          assert.ok('port' in approved && approved.port === 0, JSON.stringify(approved));
          assert.equal(approved.msg.payload.authToken, token);
        });
      }
    });

    for (const payload of [undefined, null, true, 'abc', -5, 0, 1.5, 2 ** 60, [], {}, { id: 'x' }]) {
      it(`the PIN id ${JSON.stringify(payload)} → PLEX_BAD_INPUT`, async () => {
        await poll();
        assert.equal(await caughtCode('plex-poll-token', { payload }), 'PLEX_BAD_INPUT');
      });
    }

    it('no account → PLEX_BAD_INPUT', async () => {
      await poll({ account: '' });
      assert.equal(await caughtCode('plex-poll-token', { payload: 4242 }), 'PLEX_BAD_INPUT');
    });
  });
});
