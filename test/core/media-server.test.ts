import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, MediaServerClient, identityHeaders, parseServerUrl, parseSource, PlexError, TRANSIENT_TOKEN_LIFETIME_MS } from '../../src/core';
import { serve, answer, plexErrorOf } from './loopback';

const identity = { clientIdentifier: 'client-1', product: 'Home Automation', deviceName: 'Attic Pi' };

function inputErrorOf(run: () => unknown): PlexError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof PlexError, String(error));
    assert.equal(error.kind, 'input');
    return error;
  }
  assert.fail('expected an input error');
}

describe('parseServerUrl', () => {
  it('takes a base URL: scheme, host and port', () => {
    assert.equal(parseServerUrl('http://192.168.1.20:32400').href, 'http://192.168.1.20:32400/');
    assert.equal(parseServerUrl(' https://192-168-1-20.abc.plex.direct:32400/ ').href, 'https://192-168-1-20.abc.plex.direct:32400/');
  });

  it('refuses what is not one, saying why', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['', /^server URL is empty/],
      ['   ', /^server URL is empty/],
      [undefined, /^server URL is empty/],
      [32400, /^server URL is empty/],
      ['192.168.1.20:32400', /is not a URL$/],
      ['plexserver:32400', /must start with http:\/\/ or https:\/\//],
      ['not a url', /^server URL "not a url" is not a URL$/],
      ['http://192.168.1.20:32400/web/index.html', /must not have a path \(\/web\/index\.html\)/],
      ['http://192.168.1.20:32400/?X-Plex-Token=abc', /must not have a query or fragment/],
      ['http://admin:hunter2@192.168.1.20:32400', /must not contain a user name or password/],
    ];
    for (const [value, message] of cases) {
      const error = inputErrorOf(() => parseServerUrl(value));
      assert.match(error.message, message, String(value));
      assert.ok(!error.message.includes('hunter2') && !error.message.includes('X-Plex-Token=abc'), error.message);
    }
  });
});

describe('parseSource', () => {
  it('takes server:// and provider:// sources, trimmed', () => {
    assert.equal(parseSource('server://abc123'), 'server://abc123');
    assert.equal(parseSource('  provider://tv.plex.provider.vod \n'), 'provider://tv.plex.provider.vod');
  });

  it('refuses a missing source, a missing prefix and inner whitespace', () => {
    for (const value of [undefined, null, '', '  ', 42, { source: 'server://a' }]) {
      assert.match(inputErrorOf(() => parseSource(value)).message, /^source is missing/);
    }
    for (const value of ['abc123', 'server:/abc', 'http://abc', 'server://', 'server://a b', 'SERVER://abc']) {
      assert.match(inputErrorOf(() => parseSource(value)).message, /must start with server:\/\/ or provider:\/\//, value);
    }
  });
});

describe('MediaServerClient against the stand-in', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 3000 });
  let server: MediaServerClient;
  let adminToken: string;
  before(async () => {
    await standIn.start();
    server = new MediaServerClient(standIn.url, identity, http);
    adminToken = standIn.addAccount('admin');
  });
  after(async () => {
    http.close();
    await standIn.stop();
  });

  for (const xml of [false, true]) {
    it(`makes a transient token, answered in ${xml ? 'XML' : 'JSON'}, that lives 48 hours`, async () => {
      standIn.serverXml = xml;
      const before = Date.now();
      const { value, warnings } = await server.transientToken(adminToken);
      const after = Date.now();
      standIn.serverXml = false;
      assert.deepEqual(warnings, []);
      assert.ok(standIn.transientTokens.has(value.token), value.token);
      assert.equal(TRANSIENT_TOKEN_LIFETIME_MS, 48 * 3600 * 1000);
      const expiresAt = Date.parse(value.expiresAt);
      assert.ok(expiresAt >= before + TRANSIENT_TOKEN_LIFETIME_MS && expiresAt <= after + TRANSIENT_TOKEN_LIFETIME_MS, value.expiresAt);
      assert.match(value.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
  }

  it('sends the token as X-Plex-Token, with the identity, and never in the query string', async () => {
    await server.transientToken(adminToken);
    const request = standIn.requests.at(-1)!;
    assert.equal(request.path, '/security/token?type=delegation&scope=all');
    assert.equal(request.headers['x-plex-token'], adminToken);
    for (const [name, value] of Object.entries(identityHeaders(identity))) assert.equal(request.headers[name.toLowerCase()], value, name);
    await server.sourceInfo(adminToken, 'server://known', false).catch(() => undefined);
    for (const { path } of standIn.requests) assert.ok(!path.includes(adminToken) && !/token=/i.test(path.split('?')[1] ?? ''), path);
  });

  it('reports a refused token with the HTML page title and without the token', async () => {
    const error = await plexErrorOf(server.transientToken('not-an-admin-token'));
    assert.equal(error.status, 403);
    assert.equal(error.plexMessage, '403 Forbidden');
    assert.equal(
      error.message,
      'Plex Media Server (GET /security/token) answered 403 Forbidden',
      'a page title that only repeats the status line is said once',
    );
  });

  it('maps source information, with local and relay false when left out', async () => {
    standIn.sources.set('server://abc123', {
      name: 'Living Room',
      clientIdentifier: 'abc123',
      accessToken: 'device-token',
      Connection: [
        { protocol: 'https', address: '192.168.1.20', port: 32400, uri: 'https://192-168-1-20.h.plex.direct:32400', local: true, relay: false },
        { protocol: 'https', address: '203.0.113.5', port: 8443, uri: 'https://203-0-113-5.h.plex.direct:8443', relay: true },
        { uri: 'https://relay.example:443' },
      ],
    });
    const { value, warnings } = await server.sourceInfo(adminToken, 'server://abc123', false);
    assert.deepEqual(warnings, []);
    assert.deepEqual(value, {
      name: 'Living Room',
      clientIdentifier: 'abc123',
      accessToken: 'device-token',
      connections: [
        { uri: 'https://192-168-1-20.h.plex.direct:32400', address: '192.168.1.20', port: 32400, protocol: 'https', local: true, relay: false },
        { uri: 'https://203-0-113-5.h.plex.direct:8443', address: '203.0.113.5', port: 8443, protocol: 'https', local: false, relay: true },
        { uri: 'https://relay.example:443', address: undefined, port: undefined, protocol: undefined, local: false, relay: false },
      ],
    });
    assert.equal(standIn.requests.at(-1)!.path, '/security/resources?source=server%3A%2F%2Fabc123');
  });

  it('encodes a source with characters that need it, and asks for a refresh', async () => {
    const source = 'provider://tv.plex/a&refresh=0#x+é%';
    standIn.sources.set(source, { name: 'Odd', Connection: [] });
    const { value } = await server.sourceInfo(adminToken, `  ${source} `, true);
    assert.deepEqual(value, { name: 'Odd', clientIdentifier: undefined, accessToken: undefined, connections: [] });
    assert.equal(standIn.requests.at(-1)!.path, '/security/resources?source=provider%3A%2F%2Ftv.plex%2Fa%26refresh%3D0%23x%2B%C3%A9%25&refresh=1');
  });

  it('gives a device without connections an empty list', async () => {
    standIn.sources.set('server://bare', { name: 'Bare' });
    const { value } = await server.sourceInfo(adminToken, 'server://bare', false);
    assert.deepEqual(value.connections, []);
  });

  it('refuses a bad source before calling the server', async () => {
    const count = standIn.requests.length;
    const error = await plexErrorOf(server.sourceInfo(adminToken, 'abc123', false));
    assert.equal(error.kind, 'input');
    assert.equal(standIn.requests.length, count);
  });

  it('reports an unknown source as the 404 the server answers', async () => {
    const error = await plexErrorOf(server.sourceInfo(adminToken, 'server://unknown', false));
    assert.equal(error.status, 404);
    assert.equal(error.plexMessage, '404 Not Found');
  });

  it('refuses a bad server URL when made', () => {
    inputErrorOf(() => new MediaServerClient('http://192.168.1.20:32400/web', identity, http));
  });
});

describe('MediaServerClient against XML answers', () => {
  const http = new HttpClient({ timeoutMs: 3000 });
  after(() => http.close());

  it('reads source information in XML, with "1"/"0" booleans and relay left out', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer size="1">
  <Device name="Den" clientIdentifier="def456" accessToken="device-token">
    <Connection protocol="http" address="10.0.0.5" port="32400" uri="http://10.0.0.5:32400" local="1"/>
    <Connection protocol="https" address="198.51.100.7" port="32400" uri="https://198-51-100-7.h.plex.direct:32400" local="0" relay="1"/>
  </Device>
</MediaContainer>`;
    const peer = await serve(answer(200, xml, 'text/xml;charset=utf-8'));
    after(() => peer.close());
    const { value, warnings } = await new MediaServerClient(peer.url, identity, http).sourceInfo('admin', 'server://def456', false);
    assert.deepEqual(warnings, []);
    assert.deepEqual(value.connections, [
      { uri: 'http://10.0.0.5:32400', address: '10.0.0.5', port: 32400, protocol: 'http', local: true, relay: false },
      { uri: 'https://198-51-100-7.h.plex.direct:32400', address: '198.51.100.7', port: 32400, protocol: 'https', local: false, relay: true },
    ]);
    assert.equal(value.name, 'Den');
  });

  it('refuses a transient token answer without a token, naming the field', async () => {
    const peer = await serve(answer(200, '<MediaContainer size="0"/>', 'text/xml'));
    after(() => peer.close());
    const error = await plexErrorOf(new MediaServerClient(peer.url, identity, http).transientToken('admin'));
    assert.equal(error.kind, 'response');
    assert.equal(error.field, 'MediaContainer.token');
  });
});
