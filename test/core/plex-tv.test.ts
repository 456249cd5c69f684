import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, PlexTvClient, identityHeaders, buildAuthUrl, parsePinId, normaliseBaseUrl, LINK_URL, PlexError } from '../../src/core';
import { serve, answer, plexErrorOf } from './loopback';

const identity = { clientIdentifier: 'client-1', product: 'Home Automation', deviceName: 'Attic Pi' };
const ISO_8601 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The parameters of an app.plex.tv/auth URL, which live in its fragment. */
function authParams(authUrl: string): URLSearchParams {
  const prefix = 'https://app.plex.tv/auth#?';
  assert.ok(authUrl.startsWith(prefix), authUrl);
  return new URLSearchParams(authUrl.slice(prefix.length));
}

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

describe('PlexTvClient against the stand-in', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 3000 });
  let plexTv: PlexTvClient;
  before(async () => {
    await standIn.start();
    plexTv = new PlexTvClient(identity, http, standIn.url);
  });
  after(async () => {
    http.close();
    await standIn.stop();
  });

  it("asks for the account's servers as the contract says (https, relay and IPv6 included), the token as a header", async () => {
    const token = standIn.addAccount('server-lister');
    const { value: servers } = await plexTv.servers(token); // a plex.tv that lists no server yet
    assert.deepEqual(servers, []);
    const request = standIn.requests.at(-1)!;
    assert.equal(request.path, '/api/v2/resources?includeHttps=1&includeRelay=1&includeIPv6=1');
    assert.equal(request.headers['x-plex-token'], token);
  });

  it('makes a strong PIN with the approval page URL Plex documents', async () => {
    const before = Date.now();
    const { value: pin, warnings } = await plexTv.createPin({ strong: true });
    assert.deepEqual(warnings, []);
    const request = standIn.requests.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/api/v2/pins?strong=true');
    for (const [name, value] of Object.entries(identityHeaders(identity))) assert.equal(request.headers[name.toLowerCase()], value, name);

    const stored = standIn.pins.get(pin.id)!;
    assert.equal(pin.code, stored.code);
    assert.equal(pin.code.length, 25);
    assert.equal(pin.strong, true);
    assert.equal(pin.clientIdentifier, 'client-1');
    assert.equal(pin.qr, `https://plex.tv/api/v2/pins/qr/${pin.code}`);
    assert.ok(
      pin.authUrl.startsWith(`https://app.plex.tv/auth#?clientID=client-1&code=${pin.code}&context%5Bdevice%5D%5Bproduct%5D=Home%20Automation&`),
      pin.authUrl,
    );
    const params = authParams(pin.authUrl);
    assert.equal(params.get('context[device][deviceName]'), 'Attic Pi');
    assert.equal(params.get('context[device][platform]'), 'Node.js');
    assert.equal(params.has('forwardUrl'), false);
    assert.match(pin.expiresAt, ISO_8601);
    const expiresAt = Date.parse(pin.expiresAt);
    assert.ok(expiresAt >= before + 1790_000 && expiresAt <= Date.now() + 1800_000, pin.expiresAt);
    assert.ok(pin.expiresIn >= 1790 && pin.expiresIn <= 1800, String(pin.expiresIn));
  });

  it('adds forwardUrl, encoded, when one is set', async () => {
    const forwardUrl = 'https://nodered.example:1880/plex?done=1&x=a b';
    const { value: pin } = await plexTv.createPin({ strong: true, forwardUrl });
    assert.equal(authParams(pin.authUrl).get('forwardUrl'), forwardUrl);
    assert.ok(pin.authUrl.endsWith(`&forwardUrl=${encodeURIComponent(forwardUrl)}`));
  });

  it('makes a 4-character PIN for plex.tv/link', async () => {
    const { value: pin } = await plexTv.createPin({ strong: false, forwardUrl: 'https://ignored.example' });
    assert.equal(standIn.requests.at(-1)!.path, '/api/v2/pins');
    assert.equal(pin.code.length, 4);
    assert.equal(pin.strong, false);
    assert.equal(pin.authUrl, LINK_URL);
    assert.equal(LINK_URL, 'https://plex.tv/link');
    assert.match(pin.expiresAt, ISO_8601);
    assert.ok(pin.expiresIn >= 890 && pin.expiresIn <= 900);
  });

  it("names the approval pages of the plex.tv it uses: plex.tv's own for plex.tv, a stand-in's for a stand-in", async () => {
    const strong = (await plexTv.createPin({ strong: true })).value;
    const code = (await plexTv.createPin({ strong: false })).value;
    assert.ok(plexTv.approvalPageOf(strong).startsWith(`${standIn.url}/auth#?clientID=`), plexTv.approvalPageOf(strong));
    assert.equal(plexTv.approvalPageOf(strong).slice(standIn.url.length + '/auth'.length), strong.authUrl.slice('https://app.plex.tv/auth'.length));
    assert.equal(plexTv.approvalPageOf(code), `${standIn.url}/link`);
    const real = new PlexTvClient({ clientIdentifier: 'c', product: 'p', deviceName: 'd' }, http);
    assert.equal(real.approvalPageOf(strong), strong.authUrl);
    assert.equal(real.approvalPageOf(code), LINK_URL);
  });

  it('sees a PIN without a token until it is approved, then with it', async () => {
    const { value: pin } = await plexTv.createPin({ strong: true });
    const waiting = await plexTv.checkPin(pin.id);
    assert.deepEqual(waiting.warnings, []);
    assert.equal(waiting.value.id, pin.id);
    assert.equal(waiting.value.authToken, null);
    assert.equal(waiting.value.newRegistration, null);
    assert.match(waiting.value.expiresAt!, ISO_8601);
    const request = standIn.requests.at(-1)!;
    assert.equal(request.path, `/api/v2/pins/${pin.id}`);
    assert.equal(request.headers['x-plex-client-identifier'], 'client-1');
    assert.equal(request.headers['x-plex-token'], undefined);

    const token = standIn.approve(pin.id);
    const approved = await plexTv.checkPin(pin.id);
    assert.equal(approved.value.authToken, token);
    assert.equal(approved.value.newRegistration, false);
  });

  it('gets 404/1020 for an expired PIN', async () => {
    const { value: pin } = await plexTv.createPin({ strong: false });
    standIn.expire(pin.id);
    const error = await plexErrorOf(plexTv.checkPin(pin.id));
    assert.equal(error.status, 404);
    assert.equal(error.plexCode, 1020);
    assert.equal(error.plexMessage, 'Code not found or expired');
  });

  it('reads the account behind a token, sent as a header, and keeps the token out of the value', async () => {
    const token = standIn.addAccount('alice');
    const { value: user, warnings } = await plexTv.getUser(token);
    assert.deepEqual(warnings, []);
    const account = standIn.accountTokens.get(token)!;
    assert.deepEqual(user, { id: account.id, uuid: account.uuid, username: 'alice', title: 'alice', email: 'alice@example.com' });
    const request = standIn.requests.at(-1)!;
    assert.equal(request.path, '/api/v2/user');
    assert.equal(request.headers['x-plex-token'], token);
  });

  it('gets a 401 PlexError for a token plex.tv no longer accepts', async () => {
    const error = await plexErrorOf(plexTv.getUser('revoked-token-value'));
    assert.equal(error.kind, 'http');
    assert.equal(error.status, 401);
    assert.equal(error.plexCode, 1001);
    assert.equal(error.transient, false);
    assert.equal(error.message, 'plex.tv (GET /api/v2/user) answered 401 Unauthorized: User could not be authenticated (code 1001)');
  });

  it('accepts a plex.tv URL with a trailing slash', async () => {
    const client = new PlexTvClient(identity, http, `${standIn.url}/`);
    const { value: pin } = await client.createPin({ strong: false });
    assert.equal(standIn.requests.at(-1)!.path, '/api/v2/pins');
    assert.ok(standIn.pins.has(pin.id));
  });
});

describe('PlexTvClient against other answers', () => {
  const http = new HttpClient({ timeoutMs: 3000 });
  after(() => http.close());

  it('reads a PIN answered in XML', async () => {
    const peer = await serve(
      answer(201, '<?xml version="1.0" encoding="UTF-8"?>\n<pin id="777" code="WXYZ" expiresIn="900" authToken=""/>', 'application/xml'),
    );
    after(() => peer.close());
    const client = new PlexTvClient(identity, http, peer.url);
    const before = Date.now();
    const { value: pin, warnings } = await client.createPin({ strong: false });
    assert.equal(pin.id, 777);
    assert.equal(pin.code, 'WXYZ');
    assert.equal(pin.qr, 'https://plex.tv/api/v2/pins/qr/WXYZ', 'made from the code when plex.tv sends none');
    assert.ok(Date.parse(pin.expiresAt) >= before + 900_000);
    assert.equal(warnings.length, 1, 'the XML lacks documented fields');
    const { value: state } = await client.checkPin(777);
    assert.equal(state.authToken, null);
  });

  it('refuses a PIN whose id is not a number, naming the field', async () => {
    const peer = await serve(answer(201, '{"id":"777","code":"WXYZ"}'));
    after(() => peer.close());
    const error = await plexErrorOf(new PlexTvClient(identity, http, peer.url).createPin({ strong: true }));
    assert.equal(error.kind, 'response');
    assert.equal(error.field, 'id');
  });

  it('uses https://plex.tv when no URL is given, and refuses one that is not usable', () => {
    assert.doesNotThrow(() => new PlexTvClient(identity, http, ''));
    inputErrorOf(() => new PlexTvClient(identity, http, 'plex.tv'));
    inputErrorOf(() => new PlexTvClient(identity, http, 'ftp://plex.tv'));
  });
});

describe('buildAuthUrl', () => {
  it('encodes every value and keeps the documented order', () => {
    const url = buildAuthUrl({ clientIdentifier: 'id&x=1', product: 'A/B #1', deviceName: '' }, 'CODE');
    assert.ok(url.startsWith('https://app.plex.tv/auth#?clientID=id%26x%3D1&code=CODE&context%5Bdevice%5D%5Bproduct%5D=A%2FB%20%231&'), url);
    const params = authParams(url);
    assert.deepEqual(
      [...params.keys()],
      [
        'clientID',
        'code',
        'context[device][product]',
        'context[device][version]',
        'context[device][platform]',
        'context[device][platformVersion]',
        'context[device][device]',
        'context[device][deviceName]',
      ],
    );
    assert.equal(params.get('clientID'), 'id&x=1');
    assert.equal(params.get('context[device][deviceName]'), 'Node-RED');
  });
});

describe('parsePinId', () => {
  it('takes positive whole numbers and such numbers in strings', () => {
    assert.equal(parsePinId(1), 1);
    assert.equal(parsePinId(1234567890), 1234567890);
    assert.equal(parsePinId('42'), 42);
    assert.equal(parsePinId(' 42\n'), 42);
    assert.equal(parsePinId(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  });

  it('refuses everything else with an input error that shows the value', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: Array<[unknown, RegExp]> = [
      [0, /got 0$/],
      [-5, /got -5$/],
      ['-5', /got "-5"$/],
      [1.5, /got 1\.5$/],
      ['1.5', /got "1\.5"$/],
      ['1e3', /got "1e3"$/],
      ['0x10', /got "0x10"$/],
      ['', /got ""$/],
      ['  ', /got " {2}"$/],
      [Number.MAX_SAFE_INTEGER + 1, /got 9007199254740992$/],
      // A long string may be a token wired here by mistake: only its length is shown.
      ['99999999999999999999', /got a string of 20 characters$/],
      [Infinity, /got Infinity$/],
      [NaN, /got NaN$/],
      // An object may hold a token (a plex-poll-token output wired here by mistake): only what it is is shown.
      [{}, /got an object$/],
      [{ id: 5 }, /got an object$/],
      [{ id: 'x', authToken: 'SECRET-TOKEN-1234567890' }, /got an object$/],
      [[], /got an array$/],
      [[5], /got an array$/],
      [true, /got true$/],
      [false, /got false$/],
      [null, /got null$/],
      [undefined, /got undefined$/],
      [circular, /got an object$/],
      [[{ n: BigInt(1) }], /got an array$/],
      [BigInt(5), /got 5$/],
      ['x'.repeat(100), /got a string of 100 characters$/],
    ];
    for (const [value, shown] of cases) {
      const error = inputErrorOf(() => parsePinId(value));
      assert.match(error.message, /^PIN id must be a positive whole number, got /);
      assert.match(error.message, shown);
    }
  });
});

describe('normaliseBaseUrl', () => {
  it('keeps scheme, host, port and path, without a trailing slash', () => {
    assert.equal(normaliseBaseUrl('https://plex.tv', 'u').href, 'https://plex.tv/');
    assert.equal(normaliseBaseUrl('  http://127.0.0.1:8080/  ', 'u').href, 'http://127.0.0.1:8080/');
    assert.equal(normaliseBaseUrl('https://proxy.example/plex//', 'u').href, 'https://proxy.example/plex');
  });

  it('refuses what is not an absolute http(s) base URL, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /^plex\.tv URL "" is not a URL$/],
      ['plex.tv', /is not a URL$/],
      ['/api/v2', /is not a URL$/],
      ['ftp://plex.tv', /must start with http:\/\/ or https:\/\/$/],
      ['file:///etc/passwd', /must start with http/],
      ['https://user:secret@plex.tv', /must not contain a user name or password$/],
      ['https://plex.tv/?a=1', /must not have a query or fragment$/],
      ['https://plex.tv/#x', /must not have a query or fragment$/],
    ];
    for (const [value, message] of cases) {
      const error = inputErrorOf(() => normaliseBaseUrl(value, 'plex.tv URL'));
      assert.match(error.message, message, value);
      assert.ok(!error.message.includes('secret'));
    }
  });
});
