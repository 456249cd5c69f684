import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { helper, redeploy, startRuntime, stopRuntime, loadUnderTest, outcome, loggedText, ACCOUNT_TOKEN } from './harness';
import { serve } from '../core/loopback';
import { delay } from '../support';

describe('plex-link-code', () => {
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
    // The account's token may have been revoked by a test.
    standIn.addAccount('linker', ACCOUNT_TOKEN);
    await helper.unload();
  });

  /** A 4-character PIN that "the TV" made, as a TV that asks to be linked does. */
  function tvPin() {
    standIn.addAccount('linker', ACCOUNT_TOKEN);
    return standIn.newPin({ clientIdentifier: 'the-tv', product: 'Plex for LG', strong: false });
  }

  /** The text of the status the node under test ends up showing (a catalog key in the test runtime). */
  async function lastStatus(): Promise<string> {
    await delay(250); // statuses come at most 5 a second: the latest shows once the pause ends
    return (helper.getNode('under').status as any).lastCall.args[0].text;
  }

  function linkRequests() {
    return standIn.requests.filter((r) => r.path.startsWith('/api/v2/pins/link'));
  }

  it("links the code: the TV's PIN then carries the account token; the request is the one both libraries send", async () => {
    const pin = tvPin();
    await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' });
    const result = await outcome({ payload: pin.code, topic: 'keep me' });
    assert.ok('port' in result, JSON.stringify(result));
    assert.deepEqual(result.msg.payload, { code: pin.code, linked: true });
    assert.equal(result.msg.topic, 'keep me');
    assert.equal(standIn.pins.get(pin.id)!.authToken, ACCOUNT_TOKEN);

    const request = linkRequests().at(-1)!;
    assert.equal(request.method, 'PUT');
    assert.equal(request.path, '/api/v2/pins/link', 'nothing in the query string');
    assert.ok(!request.path.includes(ACCOUNT_TOKEN));
    assert.equal(request.body, `code=${pin.code}`);
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.headers['x-plex-token'], ACCOUNT_TOKEN);
    assert.equal(request.headers['x-plex-product'], 'Plex SSO');
    assert.equal(request.headers['x-plex-client-identifier'], 'client-under-test');

    // The TV polls its PIN and gets the token, as after plex.tv/link.
    const poll = await fetch(`${standIn.url}/api/v2/pins/${pin.id}`, { headers: { 'X-Plex-Client-Identifier': 'the-tv', Accept: 'application/json' } });
    assert.equal(((await poll.json()) as { authToken: string }).authToken, ACCOUNT_TOKEN);
    assert.match(await lastStatus(), /plex-auth\.status\.linked$/);
  });

  it('normalises a lower-case code with spaces around it', async () => {
    const pin = tvPin();
    await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' });
    const result = await outcome({ payload: `  ${pin.code.toLowerCase()}\n` });
    assert.ok('port' in result, JSON.stringify(result));
    assert.deepEqual(result.msg.payload, { code: pin.code, linked: true });
    assert.equal(linkRequests().at(-1)!.body, `code=${pin.code}`);
  });

  const badInputs: Array<[string, unknown, RegExp]> = [
    ['a number', 1234, /^PlexError: Code must be a string of 4 letters or digits, got 1234$/],
    ['5 characters', 'ABCDE', /^PlexError: Code must be 4 characters long, got 5: "ABCDE"$/],
    ['an empty string', '', /^PlexError: Code is empty/],
    ['an object', { code: 'ABCD' }, /^PlexError: Code must be a string of 4 letters or digits, got an object$/],
    ['a plex-poll-token output', { id: 5, authToken: ACCOUNT_TOKEN }, /^PlexError: Code must be a string of 4 letters or digits, got an object$/],
    ['a token', ACCOUNT_TOKEN, new RegExp(`^PlexError: Code must be 4 characters long, got ${ACCOUNT_TOKEN.length}$`)],
    ['symbols', 'A-C!', /^PlexError: Code may hold only letters A-Z and digits 0-9, got "A-C!"$/],
    ['no payload', undefined, /^PlexError: Code must be a string .*got undefined$/],
  ];
  for (const [name, payload, message] of badInputs) {
    it(`refuses ${name} with an error for Catch nodes, and sends nothing`, async () => {
      await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' });
      const seen = linkRequests().length;
      const failed = await outcome({ payload });
      assert.ok('error' in failed, JSON.stringify(failed));
      assert.match(failed.error.message, message);
      assert.equal(failed.error.source.type, 'plex-link-code');
      assert.equal(linkRequests().length, seen);
      assert.match(await lastStatus(), /plex-auth\.status\.error-input$/);
    });
  }

  it("an unknown code reaches Catch with plex.tv's words", async () => {
    await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' });
    const failed = await outcome({ payload: 'QQQQ' });
    assert.ok('error' in failed);
    assert.equal(
      failed.error.message,
      'PlexError: Code QQQQ is unknown or expired: plex.tv (PUT /api/v2/pins/link) answered 404 Not Found: Code not found or expired (code 1020)',
    );
    // In words under the node, not "HTTP 404": the HTTP status stays in msg.error (its code and message).
    assert.match(await lastStatus(), /plex-auth\.status\.code-unknown$/);
    assert.equal(failed.error.code, 'PLEX_HTTP');
  });

  it('an expired code reaches Catch, and the TV is not linked', async () => {
    const pin = tvPin();
    standIn.expire(pin.id);
    await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' });
    const failed = await outcome({ payload: pin.code });
    assert.ok('error' in failed);
    assert.match(failed.error.message, new RegExp(`^PlexError: Code ${pin.code} is unknown or expired: .*Code not found or expired`));
    assert.equal(standIn.pins.get(pin.id)!.authToken, null);
  });

  it('a revoked account token (401) reaches Catch; the code stays unlinked', async () => {
    const pin = tvPin();
    standIn.accountTokens.delete(ACCOUNT_TOKEN);
    await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' });
    const failed = await outcome({ payload: pin.code });
    assert.ok('error' in failed);
    assert.equal(failed.error.message, 'PlexError: plex.tv (PUT /api/v2/pins/link) answered 401 Unauthorized: User could not be authenticated (code 1001)');
    assert.equal(standIn.pins.get(pin.id)!.authToken, null);
  });

  it('an account that is not signed in reaches Catch, and nothing is sent', async () => {
    await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' }, { token: null });
    const seen = linkRequests().length;
    const failed = await outcome({ payload: 'ABCD' });
    assert.ok('error' in failed);
    // The test runtime shows catalog keys; the catalog holds the words.
    assert.match(failed.error.message, /^PlexError: the account is not signed in: sign in from its dialog/);
    assert.equal(linkRequests().length, seen);
  });

  it('needs an account', async () => {
    await loadUnderTest(standIn, 'plex-link-code', { account: '' });
    const failed = await outcome({ payload: 'ABCD' });
    assert.ok('error' in failed);
    assert.match(failed.error.message, /plex-auth\.error\.no-account/);
  });

  it('puts the token in no log, status or error, even when plex.tv echoes it', async () => {
    await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' });
    const texts: string[] = [];
    standIn.fail(/^PUT \/api\/v2\/pins\/link/, { status: 404, body: JSON.stringify({ errors: [{ code: 1020, message: `No code for ${ACCOUNT_TOKEN}` }] }) });
    standIn.fail(/^PUT \/api\/v2\/pins\/link/, {
      status: 401,
      body: JSON.stringify({ errors: [{ code: 1001, message: `Token ${ACCOUNT_TOKEN} is revoked` }] }),
    });
    for (let i = 0; i < 2; i++) {
      const failed = await outcome({ payload: 'ABCD' });
      assert.ok('error' in failed);
      texts.push(JSON.stringify(failed.msg.error), failed.error.message);
    }
    assert.match(texts.join('\n'), /\[redacted\]/, 'the echoed token was there to leak');
    const statuses = JSON.stringify((helper.getNode('under').status as unknown as { args: unknown[] }).args);
    for (const text of [...texts, loggedText(), statuses]) assert.ok(!text.includes(ACCOUNT_TOKEN), text);
  });

  it('a closed node ends its hanging request, with no outcome (only the node is redeployed)', async () => {
    const hanging = await serve(() => undefined); // plex.tv that never answers
    try {
      await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' }, { plexTvUrl: hanging.url });
      let answered = false;
      helper.getNode('out0').on('input', () => (answered = true));
      helper.getNode('caught').on('input', () => (answered = true));
      helper.getNode('under').receive({ payload: 'ABCD' });
      for (let waited = 0; hanging.requests.length === 0 && waited < 3000; waited += 20) await delay(20);
      assert.equal(hanging.requests.length, 1, 'the request reached plex.tv');
      const socket = hanging.requests[0].socket;
      assert.equal(socket.destroyed, false);
      // A "modified nodes" deploy of a renamed node under test: the account (and its
      // connections) keep running, so only the node's own close can end the request.
      const red = (helper as any)._RED;
      const flows = red.nodes.getFlows().flows.map((node: any) => (node.id === 'under' ? { ...node, name: 'renamed' } : node));
      const started = Date.now();
      await redeploy(flows, 'nodes');
      assert.ok(helper.getNode('acct'), 'the account still runs');
      for (let waited = 0; !socket.destroyed && waited < 3000; waited += 20) await delay(20);
      assert.ok(socket.destroyed, 'the connection is closed');
      assert.ok(Date.now() - started < 3000, 'well before the 15 s time limit');
      assert.equal(answered, false);
    } finally {
      await hanging.close();
    }
  });

  it("links the code of the stand-in's demo TV, whose page then says so", async () => {
    standIn.addAccount('linker', ACCOUNT_TOKEN);
    const page = await fetch(`${standIn.url}/demo/tv`);
    const html = await page.text();
    const [, id, code] = /data-pin="(\d+)">([A-Z0-9]{4})</.exec(html) ?? [];
    assert.ok(code, html);
    assert.match(html, /Waiting to be linked/);
    await loadUnderTest(standIn, 'plex-link-code', { account: 'acct' });
    const result = await outcome({ payload: code.toLowerCase() });
    assert.ok('port' in result, JSON.stringify(result));
    const after = await (await fetch(`${standIn.url}/demo/tv/${id}`)).text();
    assert.match(after, /Linked to linker\./);
    assert.match(await (await fetch(`${standIn.url}/demo`)).text(), /href="\/demo\/tv"/);
  });
});
