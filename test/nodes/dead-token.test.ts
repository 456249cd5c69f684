/**
 * A dead token is told apart: a refusal (401, 422 invalid token) from plex.tv or a server marks
 * the account "sign-in needed" and every node using it shows "sign in again" at once, idle ones
 * too; a new token or a call that succeeds clears it; no answer, a 5xx or a 429 changes nothing.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn, type Fault } from '../../dev/plex-stand-in';
import { helper, redeploy, startRuntime, stopRuntime, ACCOUNT_TOKEN } from './harness';
import { advanceUntil, allNodes, delay, mockedClock, nextEvent } from '../support';

const catchNode = require('@node-red/nodes/core/common/25-catch.js');

const SERVER_TOKEN = 'SECRET-SERVER-TOKEN-41d2';
const SOURCE = 'server://0123456789abcdef0123456789abcdef01234567';
/** Every flow node of the account (through the server without a token of its own, or directly). */
const ACCOUNT_USERS = ['tt', 'si', 'pin', 'poll'];
const UNAUTHORIZED: Fault = {
  status: 401,
  body: '<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>',
  contentType: 'text/html',
};

function flow(standIn: PlexStandIn, options: { serverUrl?: string } = {}) {
  const at = (id: string, y: number) => ({ id, z: 'tab', x: 100, y });
  return [
    { id: 'tab', type: 'tab', label: 'dead token' },
    { id: 'acct', type: 'plex-account', name: 'test', clientIdentifier: 'dead-token-client', product: 'Node-RED', deviceName: 'Test', plexTvUrl: standIn.url },
    { id: 'srv', type: 'plex-server', name: 'account token', url: options.serverUrl ?? standIn.url, account: 'acct', tls: '' },
    { id: 'srv2', type: 'plex-server', name: 'own token', url: standIn.url, account: 'acct', tls: '' },
    { ...at('tt', 100), type: 'plex-transient-token', server: 'srv', wires: [['out']] },
    { ...at('si', 140), type: 'plex-source-info', server: 'srv', source: SOURCE, refresh: false, wires: [['out']] },
    { ...at('pin', 180), type: 'plex-pin', account: 'acct', strong: true, forwardUrl: '', wires: [['out']] },
    { ...at('poll', 220), type: 'plex-poll-token', account: 'acct', interval: 1, timeout: 0, store: true, wires: [['out'], ['out']] },
    { ...at('tt2', 260), type: 'plex-transient-token', server: 'srv2', wires: [['out']] },
    { ...at('out', 300), type: 'helper' },
    { ...at('catch', 340), type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { ...at('caught', 380), type: 'helper' },
  ];
}

/** The last status each node showed since it was loaded. */
const statuses = new Map<string, { text?: string }>();

async function load(standIn: PlexStandIn, token: string, options: { serverUrl?: string } = {}): Promise<void> {
  statuses.clear();
  await helper.load([...allNodes, catchNode], flow(standIn, options), { acct: { token }, srv2: { token: SERVER_TOKEN } });
  helper.getNode('out').on('input', (m: any) => settle?.({ msg: m }));
  helper.getNode('caught').on('input', (m: any) => settle?.({ error: m.error }));
  for (const id of [...ACCOUNT_USERS, 'tt2']) {
    (helper.getNode(id) as any).on('call:status', (call: { args: [{ text?: string }] }) => statuses.set(id, call.args[0]));
  }
}

const signInAgain = (id: string) => /status\.sign-in-again$/.test(statuses.get(id)?.text ?? '');

/** Where the next outcome goes: input listeners of Node-RED nodes cannot be removed, so one pair serves every send. */
let settle: ((outcome: { msg?: any; error?: any }) => void) | undefined;

/** Sends a msg to a node and resolves with what came out: a msg, or the error a Catch node received. */
function send(id: string, msg: Record<string, unknown> = {}): Promise<{ msg?: any; error?: any }> {
  const result = nextEvent<{ msg?: any; error?: any }>(
    (resolve) => {
      settle = resolve;
    },
    8000,
    `outcome of ${id}`,
  );
  helper.getNode(id).receive(msg);
  return result;
}

async function accountState(): Promise<any> {
  const response = await helper.request().get('/plex-auth/accounts/acct').expect(200);
  return response.body;
}

describe('a dead token is told apart and marked on every node of the account', () => {
  const standIn = new PlexStandIn();
  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    standIn.addAccount('server-owner', SERVER_TOKEN);
    standIn.sources.set(SOURCE, { name: 'Server', clientIdentifier: '0123456789abcdef0123456789abcdef01234567', accessToken: 'x', Connection: [] });
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

  it('a server\'s 401 reaches the Catch node as PLEX_TOKEN_REJECTED and every node of the account, idle ones too, shows "sign in again"; a later call that succeeds clears it', async () => {
    await load(standIn, ACCOUNT_TOKEN);
    standIn.fail(/^GET \/security\/token/, UNAUTHORIZED);
    const refused = await send('tt');
    assert.equal(refused.error?.code, 'PLEX_TOKEN_REJECTED');
    for (const id of ACCOUNT_USERS) assert.ok(signInAgain(id), `${id} shows "sign in again": ${JSON.stringify(statuses.get(id))}`);
    assert.ok(!signInAgain('tt2'), 'a server with its own token is not marked by the account');
    assert.ok(!JSON.stringify([...statuses.values()]).includes(ACCOUNT_TOKEN));
    assert.equal((await accountState()).signInNeeded, true);

    const succeeded = await send('tt');
    assert.ok(succeeded.msg, JSON.stringify(succeeded.error));
    await delay(250); // a node's own status comes at most 5 a second: it shows once the pause ends
    for (const id of ACCOUNT_USERS.filter((each) => each !== 'tt')) assert.deepEqual(statuses.get(id), {}, `${id} is cleared`);
    assert.match(statuses.get('tt')?.text ?? '', /status\.token-ready$/, 'the node that succeeded keeps its own status');
    assert.equal((await accountState()).signInNeeded, false);
  });

  it("plex-source-info's 401 marks the account; a token that plex-poll-token stores clears it", async () => {
    await load(standIn, ACCOUNT_TOKEN);
    standIn.fail(/^GET \/security\/resources/, UNAUTHORIZED);
    assert.equal((await send('si')).error?.code, 'PLEX_TOKEN_REJECTED');
    for (const id of ACCOUNT_USERS) assert.ok(signInAgain(id), id);

    const pin = standIn.newPin({ clientIdentifier: 'dead-token-client', product: 'Node-RED', strong: true }); // not through fetch: see mockedClock
    standIn.approve(pin.id, 'signed-in-again');
    const approved = await send('poll', { payload: pin.id });
    assert.equal(approved.msg?.payload.stored, true);
    for (const id of ACCOUNT_USERS.filter((each) => each !== 'poll')) assert.deepEqual(statuses.get(id), {}, `${id} is cleared by the new token`);
    assert.equal((await accountState()).signInNeeded, false);
  });

  it("a plex-server's own token refused marks that server's users, not the account's", async () => {
    await load(standIn, ACCOUNT_TOKEN);
    standIn.fail(/^GET \/security\/token/, UNAUTHORIZED);
    assert.equal((await send('tt2')).error?.code, 'PLEX_TOKEN_REJECTED');
    assert.ok(signInAgain('tt2'));
    for (const id of ACCOUNT_USERS) assert.ok(!signInAgain(id), id);
    assert.equal((await accountState()).signInNeeded, false);
  });

  const passing: Array<[string, Fault, string]> = [
    ['503', { status: 503, body: '<html><title>Down</title></html>', contentType: 'text/html' }, 'PLEX_HTTP'],
    ['429', { status: 429, headers: { 'Retry-After': '1' } }, 'PLEX_RATE_LIMITED'],
    ['reset connection', { reset: true }, 'PLEX_UNREACHABLE'],
  ];
  for (const [name, fault, code] of passing) {
    it(`a ${name} is not a dead token: nothing is marked`, async () => {
      await load(standIn, ACCOUNT_TOKEN);
      standIn.fail(/^GET \/security\/token/, fault);
      assert.equal((await send('tt')).error?.code, code);
      for (const id of ACCOUNT_USERS) assert.ok(!signInAgain(id), id);
      assert.equal((await accountState()).signInNeeded, false);
    });
  }

  it('a refused connection is not a dead token', async () => {
    const gone = new PlexStandIn();
    await gone.start();
    await gone.stop();
    await load(standIn, ACCOUNT_TOKEN, { serverUrl: gone.url });
    assert.equal((await send('tt')).error?.code, 'PLEX_UNREACHABLE');
    for (const id of ACCOUNT_USERS) assert.ok(!signInAgain(id), id);
  });

  // The start-up check comes 3 to 6 s after the start: on a mocked clock, running before the flow starts.
  describe('the start-up check', () => {
    mockedClock();

    it('the start-up check marks a token plex.tv revoked while Node-RED was down, and the admin route tells it', async () => {
      const revoked = standIn.addAccount('revoked-user');
      standIn.accountTokens.delete(revoked);
      await load(standIn, revoked);
      await advanceUntil(() => signInAgain('pin'), { limitMs: 10_000 });
      for (const id of ACCOUNT_USERS) assert.ok(signInAgain(id), `${id}, with no msg sent`);
      const state = await accountState();
      assert.equal(state.signedIn, true, 'the token is kept: only the user decides');
      assert.equal(state.signInNeeded, true);
      assert.equal(state.lastCheck.state, 'revoked');
      assert.ok(Math.abs(Date.parse(state.lastCheck.at) - Date.now()) < 15_000);
      assert.ok(!JSON.stringify(state).includes(revoked));
    });

    it('the start-up check of a valid token, and one plex.tv does not answer, mark nothing', async () => {
      standIn.fail(/^GET \/api\/v2\/user/, { status: 503 });
      const seen = standIn.requests.length;
      await load(standIn, ACCOUNT_TOKEN);
      await advanceUntil(() => standIn.requests.slice(seen).some((request) => request.path === '/api/v2/user'), { limitMs: 10_000 });
      let state = await accountState();
      for (let tries = 0; !state.lastCheck && tries < 100; tries++) {
        await delay(20); // plex.tv's answer is real I/O
        state = await accountState();
      }
      assert.equal(state.lastCheck?.state, 'unreachable');
      assert.equal(state.signInNeeded, false);
      for (const id of ACCOUNT_USERS) assert.ok(!signInAgain(id), id);
      const check = await helper.request().post('/plex-auth/accounts/acct/check').send({}).expect(200);
      assert.deepEqual(check.body, { state: 'valid', username: 'owner' });
      assert.equal((await accountState()).lastCheck.state, 'valid', 'the Check button updates the same state');
    });
  });

  it("the Check button's refusal marks the nodes too, and a redeploy leaves no check timer behind", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
    const baseline = timers();
    const revoked = standIn.addAccount('checked-user');
    await load(standIn, revoked);
    assert.ok(timers() > baseline, 'the start-up check is waiting');
    standIn.accountTokens.delete(revoked);
    const check = await helper.request().post('/plex-auth/accounts/acct/check').send({}).expect(200);
    assert.deepEqual(check.body, { state: 'revoked' });
    for (const id of ACCOUNT_USERS) assert.ok(signInAgain(id), id);
    for (let round = 0; round < 20; round++) await redeploy(flow(standIn));
    await helper.unload();
    await delay(50);
    assert.equal(timers(), baseline, 'no timer left after 20 redeploys');
  });
});
