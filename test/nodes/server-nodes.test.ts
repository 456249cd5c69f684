import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { helper, startRuntime, stopRuntime, loadUnderTest, outcome, loggedText, ACCOUNT_TOKEN } from './harness';
import { delay, nextEvent } from '../support';

const SOURCE = 'server://0123456789abcdef0123456789abcdef01234567';
const device = {
  name: 'Living Room Server',
  clientIdentifier: '0123456789abcdef0123456789abcdef01234567',
  accessToken: 'transient-9a8b7c6d',
  Connection: [
    { protocol: 'https', address: '192.168.1.20', port: 32400, uri: 'https://192-168-1-20.0123abcd.plex.direct:32400', local: true, relay: false },
    { protocol: 'https', address: '203.0.113.7', port: 8443, uri: 'https://203-0-113-7.0123abcd.plex.direct:8443', local: false },
  ],
};

describe('plex-transient-token', () => {
  const standIn = new PlexStandIn();
  const other = new PlexStandIn();
  before(async () => {
    await standIn.start();
    await other.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stop();
    await other.stop();
  });
  afterEach(async () => {
    standIn.clearFaults();
    await helper.unload();
  });

  it('sends { token, expiresAt } with a token the server made, 48 hours on', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' });
    const before = Date.now();
    const result = await outcome({ payload: 'x', topic: 'kept' });
    assert.ok('port' in result);
    assert.deepEqual(Object.keys(result.msg.payload).sort(), ['expiresAt', 'token']);
    assert.ok(standIn.transientTokens.has(result.msg.payload.token));
    const expires = Date.parse(result.msg.payload.expiresAt);
    assert.match(result.msg.payload.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Math.abs(expires - before - 48 * 3600 * 1000) < 60_000);
    assert.equal(result.msg.topic, 'kept');
    const request = standIn.requests.filter((r) => r.path.startsWith('/security/token')).pop()!;
    assert.equal(request.path, '/security/token?type=delegation&scope=all', 'no token in the query');
    assert.equal(request.headers['x-plex-token'], ACCOUNT_TOKEN);
  });

  it('reads the XML a server may answer', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' });
    standIn.serverXml = true;
    try {
      const result = await outcome({});
      assert.ok('port' in result);
      assert.match(result.msg.payload.token, /^transient-/);
    } finally {
      standIn.serverXml = false;
    }
  });

  it('uses the server token instead of the account token when one is set', async () => {
    const serverToken = standIn.addAccount('server-only');
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' }, { serverToken });
    const result = await outcome({});
    assert.ok('port' in result);
    assert.equal(standIn.requests.filter((r) => r.path.startsWith('/security/token')).pop()!.headers['x-plex-token'], serverToken);
  });

  it('needs a server', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: '' });
    const result = await outcome({});
    assert.ok('error' in result);
    assert.match(result.error.message, /plex-auth\.error\.no-server/);
  });

  it('never shows the token in a status', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' });
    const statuses: unknown[] = [];
    (helper.getNode('under') as any).on('call:status', (call: { args: unknown[] }) => statuses.push(call.args));
    standIn.fail(/^GET \/security\/token/, { status: 403, body: `<html><title>token ${ACCOUNT_TOKEN} refused</title></html>`, contentType: 'text/html' });
    const failed = await outcome({});
    assert.ok('error' in failed);
    assert.ok(!failed.error.message.includes(ACCOUNT_TOKEN), 'a token a server echoes is redacted');
    assert.match(failed.error.message, /\[redacted\]/);
    await delay(300); // statuses come at most 5 a second: the error's shows once the pause ends
    assert.match(JSON.stringify(statuses.at(-1)), /status\.error-refused/);
    await outcome({});
    await delay(300);
    assert.ok(statuses.length >= 3);
    assert.ok(!JSON.stringify(statuses).includes(ACCOUNT_TOKEN));
  });

  it('says clearly when there is no token at all', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' }, { token: null });
    const result = await outcome({});
    assert.ok('error' in result);
    assert.match(result.error.message, /not signed in/);
  });

  for (const [url, problem] of [
    ['', /server URL is empty/],
    ['not a url', /is not a URL/],
    ['http://192.168.1.20:32400/web/index.html', /must not have a path/],
  ] as const) {
    it(`refuses the server URL "${url}" with an error that names the problem`, async () => {
      await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' }, { serverUrl: url });
      const result = await outcome({});
      assert.ok('error' in result);
      assert.match(result.error.message, problem);
    });
  }

  const faults: Array<[string, Parameters<PlexStandIn['fail']>[1], RegExp]> = [
    [
      '403 HTML page',
      { status: 403, body: '<html><head><title>Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>', contentType: 'text/html' },
      /answered 403 Forbidden$/,
    ],
    ['401 HTML page', { status: 401, body: '<html><head><title>Unauthorized</title></head></html>', contentType: 'text/html' }, /answered 401 Unauthorized$/],
    ['500', { status: 500, body: 'boom', contentType: 'text/plain' }, /answered 500 Internal Server Error$/],
    [
      '429 without Retry-After',
      { status: 429, body: '{"errors":[{"code":1003,"message":"API rate limit exceeded"}]}' },
      /answered 429 Too Many Requests: API rate limit exceeded \(code 1003\)$/,
    ],
    [
      'XML without the token',
      { status: 200, body: '<?xml version="1.0"?><MediaContainer size="0"/>', contentType: 'text/xml' },
      /field MediaContainer\.token is missing/,
    ],
    [
      'HTML on 200',
      { status: 200, body: '<!doctype html><html><body>login</body></html>', contentType: 'text/html' },
      /answered with an HTML page instead of JSON/,
    ],
    ['JSON of the wrong shape', { status: 200, body: '{"MediaContainer":{"size":0}}' }, /transient token: field MediaContainer\.token is missing/],
    ['a 50 MB body', { bytes: 50 * 1024 * 1024 }, /answered with more than 1048576 bytes; refused/],
    ['a redirect to another host', { redirect: `${'http://127.0.0.1:'}${'1'}/security/token` }, /redirected to another host/],
  ];
  for (const [name, fault, message] of faults) {
    it(`reports ${name} to a Catch node, without the token, then works again`, async () => {
      await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' });
      standIn.fail(/^GET \/security\/token/, fault);
      const failed = await outcome({});
      assert.ok('error' in failed);
      assert.match(failed.error.message, message);
      assert.equal(failed.error.source.type, 'plex-transient-token');
      const next = await outcome({});
      assert.ok('port' in next);
      assert.ok(!loggedText().includes(ACCOUNT_TOKEN), 'the token is not logged');
      assert.ok(!JSON.stringify(failed.msg).includes(ACCOUNT_TOKEN), 'the token is not in the error msg');
    });
  }

  it('never sends the account token to a host that redirects elsewhere', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' });
    standIn.fail(/^GET \/security\/token/, { redirect: `${other.url}/security/token?type=delegation&scope=all` });
    const failed = await outcome({});
    assert.ok('error' in failed);
    assert.equal(other.requests.length, 0, 'the other host saw nothing');
  });

  it('reports an unreachable server (refused, unknown name) and never crashes', async () => {
    for (const [url, message] of [
      ['http://127.0.0.1:1', /ECONNREFUSED/],
      ['http://nonexistent.invalid:32400', /ENOTFOUND|EAI_AGAIN/],
    ] as const) {
      await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' }, { serverUrl: url });
      const failed = await outcome({});
      assert.ok('error' in failed);
      assert.match(failed.error.message, message);
      await helper.unload();
    }
  });

  it('ends a request that hangs when the node closes', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' });
    standIn.fail(/^GET \/security\/token/, { hang: true });
    let answered = false;
    helper.getNode('out0').on('input', () => (answered = true));
    helper.getNode('caught').on('input', () => (answered = true));
    helper.getNode('under').receive({});
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await helper.unload();
    assert.ok(Date.now() - started < 5000, 'closing does not wait for the server');
    assert.equal(answered, false);
  });

  it('answers 1,000 msgs at once, one output each', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' });
    const outputs: string[] = [];
    const errors: string[] = [];
    // Every msg's outcome, output or error: an error fails the test instead of leaving it waiting.
    const all = nextEvent<void>(
      (resolve) => {
        const settled = () => outputs.length + errors.length === 1000 && resolve();
        helper.getNode('out0').on('input', (msg: any) => {
          outputs.push(msg.n);
          settled();
        });
        helper.getNode('caught').on('input', (msg: any) => {
          errors.push(msg.error.message);
          settled();
        });
      },
      60_000,
      'an outcome for each of 1,000 msgs',
    );
    for (let n = 0; n < 1000; n++) helper.getNode('under').receive({ n });
    await all;
    assert.deepEqual(errors.slice(0, 3), []);
    assert.equal(new Set(outputs).size, 1000);
  });
});

describe('plex-source-info', () => {
  const standIn = new PlexStandIn();
  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    standIn.sources.set(SOURCE, device);
    standIn.sources.set('provider://tv.plex.provider.vod', { ...device, name: 'a provider' });
    standIn.sources.set('server://a&b=c+d/é', { ...device, name: 'odd' });
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

  const expected = {
    name: 'Living Room Server',
    clientIdentifier: '0123456789abcdef0123456789abcdef01234567',
    accessToken: 'transient-9a8b7c6d',
    connections: [
      { uri: 'https://192-168-1-20.0123abcd.plex.direct:32400', address: '192.168.1.20', port: 32400, protocol: 'https', local: true, relay: false },
      { uri: 'https://203-0-113-7.0123abcd.plex.direct:8443', address: '203.0.113.7', port: 8443, protocol: 'https', local: false, relay: false },
    ],
  };

  it('takes the source from the node, msg.source or a string msg.payload, in that order', async () => {
    await loadUnderTest(standIn, 'plex-source-info', { server: 'srv', source: SOURCE, sourceType: 'str', refresh: false });
    const fromNode = await outcome({ source: 'provider://tv.plex.provider.vod' });
    assert.ok('port' in fromNode);
    assert.deepEqual(fromNode.msg.payload, expected);
    await helper.unload();

    await loadUnderTest(standIn, 'plex-source-info', { server: 'srv', source: '', refresh: false });
    const fromSource = await outcome({ source: 'provider://tv.plex.provider.vod', payload: SOURCE });
    assert.ok('port' in fromSource);
    assert.equal(fromSource.msg.payload.name, 'a provider');
    const fromPayload = await outcome({ payload: SOURCE });
    assert.ok('port' in fromPayload);
    assert.deepEqual(fromPayload.msg.payload, expected);
  });

  it('encodes the source and asks for a refresh when told to', async () => {
    await loadUnderTest(standIn, 'plex-source-info', { server: 'srv', source: '', refresh: true });
    const result = await outcome({ payload: 'server://a&b=c+d/é' });
    assert.ok('port' in result);
    assert.equal(result.msg.payload.name, 'odd');
    const request = standIn.requests.filter((r) => r.path.startsWith('/security/resources')).pop()!;
    assert.equal(request.path, '/security/resources?source=server%3A%2F%2Fa%26b%3Dc%2Bd%2F%C3%A9&refresh=1');
  });

  for (const payload of ['0123456789abcdef', '', 42, { source: SOURCE }]) {
    it(`refuses the source ${JSON.stringify(payload)} with a clear error`, async () => {
      await loadUnderTest(standIn, 'plex-source-info', { server: 'srv', source: '', refresh: false });
      const result = await outcome({ payload });
      assert.ok('error' in result);
      assert.match(result.error.message, /source .*(must start with server:\/\/ or provider:\/\/|is missing)/);
    });
  }

  it('names the field when the answer lacks or mistypes one the node relies on', async () => {
    await loadUnderTest(standIn, 'plex-source-info', { server: 'srv', source: SOURCE, refresh: false });
    standIn.fail(/^GET \/security\/resources/, { status: 200, body: '{"MediaContainer":{"size":0}}' });
    const missing = await outcome({});
    assert.ok('error' in missing);
    assert.match(missing.error.message, /field MediaContainer\.Device is missing/);
    standIn.fail(/^GET \/security\/resources/, {
      status: 200,
      body: JSON.stringify({ MediaContainer: { Device: { ...device, Connection: [{ ...device.Connection[0], uri: 7 }] } } }),
    });
    const mistyped = await outcome({});
    assert.ok('error' in mistyped);
    assert.match(mistyped.error.message, /field MediaContainer\.Device\.Connection\[0\]\.uri must be string/);
  });

  it('passes an answer that strays elsewhere, with a warning', async () => {
    await loadUnderTest(standIn, 'plex-source-info', { server: 'srv', source: SOURCE, refresh: false });
    standIn.fail(/^GET \/security\/resources/, { status: 200, body: JSON.stringify({ MediaContainer: { size: 'one', Device: device } }) });
    const result = await outcome({});
    assert.ok('port' in result);
    assert.deepEqual(result.msg.payload, expected);
    assert.match(loggedText(), /strays from the documented schema: MediaContainer\.size must be integer/);
  });

  it('reports a 400 or 403 HTML page from the server', async () => {
    await loadUnderTest(standIn, 'plex-source-info', { server: 'srv', source: SOURCE, refresh: false }, { token: 'not-an-admin-token' });
    const result = await outcome({});
    assert.ok('error' in result);
    assert.match(result.error.message, /Plex Media Server \(GET \/security\/resources\) answered 403 Forbidden/);
  });
});
