import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, PlexTvClient, PlexError, parseLinkCode } from '../../src/core';
import { serve, answer, type Loopback } from './loopback';

const identity = { clientIdentifier: 'client-1', product: 'Home Automation', deviceName: 'Attic Pi' };
const TOKEN = 'acct-Link-Token-9f2e';

function inputError(value: unknown): PlexError {
  try {
    parseLinkCode(value);
  } catch (error) {
    assert.ok(error instanceof PlexError, String(error));
    assert.equal(error.kind, 'input');
    return error;
  }
  assert.fail(`expected ${JSON.stringify(value)} to be refused`);
}

async function rejection(promise: Promise<unknown>): Promise<PlexError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PlexError, String(error));
    return error;
  }
  assert.fail('expected a PlexError');
}

describe('parseLinkCode', () => {
  it('trims and upper-cases a code', () => {
    assert.equal(parseLinkCode('ABCD'), 'ABCD');
    assert.equal(parseLinkCode('  x7k2\n'), 'X7K2');
    assert.equal(parseLinkCode('\t9q9q '), '9Q9Q');
  });

  it('refuses what is not 4 letters or digits, naming the problem', () => {
    assert.match(inputError(1234).message, /^Code must be a string of 4 letters or digits, got 1234$/);
    assert.match(inputError({ code: 'ABCD' }).message, /must be a string .*got an object$/);
    assert.match(inputError(['ABCD']).message, /must be a string .*got an array$/);
    assert.match(inputError(true).message, /must be a string .*got true$/);
    assert.match(inputError(null).message, /must be a string .*got null/);
    assert.match(inputError(undefined).message, /must be a string .*got undefined/);
    assert.match(inputError('').message, /^Code is empty/);
    assert.match(inputError('   ').message, /^Code is empty/);
    assert.match(inputError('ABCDE').message, /^Code must be 4 characters long, got 5: "ABCDE"$/);
    assert.match(inputError('ABC').message, /must be 4 characters long, got 3/);
    assert.match(inputError('  ABCDEFGH ').message, /^Code must be 4 characters long, got 8: "ABCDEFGH"$/);
    assert.match(inputError('AB-D').message, /^Code may hold only letters A-Z and digits 0-9, got "AB-D"$/);
    assert.match(inputError('AB D').message, /only letters A-Z and digits/);
    assert.match(inputError('ÄBCD').message, /only letters A-Z and digits/);
  });
});

describe('PlexTvClient.linkCode against the stand-in', () => {
  const standIn = new PlexStandIn();
  const client = new HttpClient({ timeoutMs: 3000 });
  let plexTv: PlexTvClient;
  before(async () => {
    await standIn.start();
    standIn.addAccount('linker', TOKEN);
    plexTv = new PlexTvClient(identity, client, standIn.url);
  });
  after(async () => {
    client.close();
    await standIn.stop();
  });
  beforeEach(() => standIn.clearFaults());

  function tvPin() {
    return standIn.newPin({ clientIdentifier: 'the-tv', product: 'Plex for TV', strong: false });
  }

  it('links a code another client shows: PUT with the form body, the token in a header, as "Plex SSO"', async () => {
    const pin = tvPin();
    const linked = await plexTv.linkCode(pin.code.toLowerCase(), TOKEN);
    assert.deepEqual(linked, { code: pin.code, linked: true });
    assert.equal(standIn.pins.get(pin.id)!.authToken, TOKEN, 'the TV now carries a token for the account');

    const request = standIn.requests.at(-1)!;
    assert.equal(request.method, 'PUT');
    assert.equal(request.path, '/api/v2/pins/link', 'no token or code in the URL');
    assert.equal(request.body, `code=${pin.code}`);
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.headers['x-plex-token'], TOKEN);
    assert.equal(request.headers['x-plex-product'], 'Plex SSO');
    assert.equal(request.headers['x-plex-client-identifier'], 'client-1');
    assert.equal(request.headers['x-plex-device-name'], 'Attic Pi');

    // The TV's own poll now gets the token, as with an approval on plex.tv/link.
    const poll = await fetch(`${standIn.url}/api/v2/pins/${pin.id}`, { headers: { 'X-Plex-Client-Identifier': 'the-tv', Accept: 'application/json' } });
    assert.equal(((await poll.json()) as { authToken: string }).authToken, TOKEN);
  });

  it("says an unknown code is unknown or expired, in plex.tv's words", async () => {
    const error = await rejection(plexTv.linkCode('ZZZZ', TOKEN));
    assert.equal(
      error.message,
      'Code ZZZZ is unknown or expired: plex.tv (PUT /api/v2/pins/link) answered 404 Not Found: Code not found or expired (code 1020)',
    );
    assert.equal(error.kind, 'http');
    assert.equal(error.status, 404);
    assert.equal(error.plexCode, 1020);
    assert.equal(error.plexMessage, 'Code not found or expired');
  });

  it('says an expired code is unknown or expired', async () => {
    const pin = tvPin();
    standIn.expire(pin.id);
    const error = await rejection(plexTv.linkCode(pin.code, TOKEN));
    assert.match(error.message, new RegExp(`^Code ${pin.code} is unknown or expired: .*Code not found or expired`));
    assert.equal(standIn.pins.get(pin.id)!.authToken, null);
  });

  it("takes plex.tv's 400 and 422 about the code as unknown or expired too", async () => {
    standIn.fail(/^PUT \/api\/v2\/pins\/link/, { status: 400, body: '{"errors":[{"code":1000,"message":"Invalid code"}]}' });
    assert.match(
      (await rejection(plexTv.linkCode('ABCD', TOKEN))).message,
      /^Code ABCD is unknown or expired: .*answered 400 Bad Request: Invalid code \(code 1000\)$/,
    );
    standIn.fail(/^PUT \/api\/v2\/pins\/link/, { status: 422, body: '{"errors":[{"code":1020,"message":"Code not found or expired"}]}' });
    assert.match(
      (await rejection(plexTv.linkCode('ABCD', TOKEN))).message,
      /^Code ABCD is unknown or expired: .*answered 422 Unprocessable Entity: Code not found or expired/,
    );
  });

  it('leaves a refused token as it is: 401, and 422 "Invalid token"', async () => {
    const unknown = await rejection(plexTv.linkCode(tvPin().code, 'not-an-account-token'));
    assert.equal(unknown.status, 401);
    assert.equal(unknown.message, 'plex.tv (PUT /api/v2/pins/link) answered 401 Unauthorized: User could not be authenticated (code 1001)');
    standIn.fail(/^PUT \/api\/v2\/pins\/link/, { status: 422, body: '{"errors":[{"code":1001,"message":"Invalid token"}]}' });
    const invalid = await rejection(plexTv.linkCode('ABCD', TOKEN));
    assert.equal(invalid.status, 422);
    assert.doesNotMatch(invalid.message, /unknown or expired/);
  });

  it('never puts the token in a message, even when plex.tv echoes it', async () => {
    standIn.fail(/^PUT \/api\/v2\/pins\/link/, { status: 404, body: `{"errors":[{"code":1020,"message":"No code for ${TOKEN}"}]}` });
    const error = await rejection(plexTv.linkCode('ABCD', TOKEN));
    assert.match(error.message, /unknown or expired/);
    assert.ok(!JSON.stringify(error.toJSON()).includes(TOKEN), JSON.stringify(error.toJSON()));
  });

  it('never shows a token given by mistake as the code', () => {
    for (const value of [TOKEN, { authToken: TOKEN }, { id: 1, authToken: TOKEN }, [TOKEN]]) {
      const error = inputError(value);
      assert.ok(!error.message.includes(TOKEN.slice(0, 8).toUpperCase()) && !error.message.includes(TOKEN.slice(0, 8)), error.message);
    }
    assert.equal(inputError(TOKEN).message, `Code must be 4 characters long, got ${TOKEN.length}`);
  });

  it('sends nothing for a bad code', async () => {
    const seen = standIn.requests.length;
    await rejection(plexTv.linkCode('AB', TOKEN));
    assert.equal(standIn.requests.length, seen);
  });
});

describe('PlexTvClient.linkCode: the answers plex.tv may give for a linked code', () => {
  const client = new HttpClient({ timeoutMs: 3000 });
  const servers: Loopback[] = [];
  async function plexTvAnswering(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<PlexTvClient> {
    const server = await serve(handler);
    servers.push(server);
    return new PlexTvClient(identity, client, server.url);
  }
  after(async () => {
    client.close();
    await Promise.all(servers.map((server) => server.close()));
  });

  const linkedAnswers: Array<[string, (req: http.IncomingMessage, res: http.ServerResponse) => void]> = [
    [
      '204 without a body',
      (_req, res) => {
        res.writeHead(204);
        res.end();
      },
    ],
    ['201 with an empty body', answer(201, '')],
    ['200 with white space', answer(200, ' \n', 'text/plain')],
    ['200 with JSON', answer(200, '{"id":5,"code":"ABCD"}')],
    ['200 with XML', answer(200, '<?xml version="1.0"?><pin id="5" code="ABCD"/>', 'text/xml')],
  ];
  for (const [name, handler] of linkedAnswers) {
    it(`takes ${name} as linked`, async () => {
      const plexTv = await plexTvAnswering(handler);
      assert.deepEqual(await plexTv.linkCode('abcd', TOKEN), { code: 'ABCD', linked: true });
    });
  }

  it('still refuses an HTML page that answers 200 (not plex.tv)', async () => {
    const plexTv = await plexTvAnswering(answer(200, '<!doctype html><html><title>Login</title></html>', 'text/html'));
    assert.match((await rejection(plexTv.linkCode('ABCD', TOKEN))).message, /answered with an HTML page instead of JSON/);
  });

  it('stops when told to', async () => {
    const plexTv = await plexTvAnswering(() => undefined); // never answers
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 100);
    const error = await rejection(plexTv.linkCode('ABCD', TOKEN, stop.signal));
    assert.equal(error.kind, 'aborted');
    assert.ok(Date.now() - started < 2000, 'well before the 3 s time limit');
  });
});
