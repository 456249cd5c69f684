/**
 * JWT sign-in in the nodes, against the stand-in's real signatures: plex-pin makes a PIN with
 * the device key, plex-poll-token gets a verified Plex JWT, the account renews it by itself,
 * a 498 renews and retries once, a revoked JWT is PLEX_TOKEN_REJECTED and "sign in again".
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { helper, startRuntime, stopRuntime, loggedText } from './harness';
import { allNodes, delay, nextEvent } from '../support';
import { runtimeState } from '../../nodes/lib/runtime-state';

const catchNode = require('@node-red/nodes/core/common/25-catch.js');

function flow(standIn: PlexStandIn, auth: string | undefined) {
  const at = (id: string, y: number) => ({ id, z: 'tab', x: 100, y });
  return [
    { id: 'tab', type: 'tab', label: 'jwt' },
    { id: 'acct', type: 'plex-account', name: 'jwt', clientIdentifier: 'jwt-client', product: 'Node-RED', deviceName: 'Test', plexTvUrl: standIn.url, ...(auth ? { auth } : {}) },
    { id: 'srv', type: 'plex-server', name: 'server', url: standIn.url, account: 'acct', tls: '' },
    { ...at('pin', 100), type: 'plex-pin', account: 'acct', strong: true, forwardUrl: '', wires: [['poll']] },
    { ...at('poll', 140), type: 'plex-poll-token', account: 'acct', interval: 1, timeout: 0, store: true, wires: [['out'], ['out']] },
    { ...at('tt', 180), type: 'plex-transient-token', server: 'srv', wires: [['out']] },
    { ...at('servers', 220), type: 'plex-servers', account: 'acct', wires: [['out']] },
    { ...at('out', 300), type: 'helper' },
    { ...at('catch', 340), type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { ...at('caught', 380), type: 'helper' },
  ];
}

let settle: ((outcome: { msg?: any; error?: any }) => void) | undefined;
const statuses = new Map<string, { text?: string }>();

async function load(standIn: PlexStandIn, auth: string | undefined, credentials: Record<string, string> = {}): Promise<void> {
  statuses.clear();
  await helper.load([...allNodes, catchNode], flow(standIn, auth), { acct: credentials });
  helper.getNode('out').on('input', (m: any) => settle?.({ msg: m }));
  helper.getNode('caught').on('input', (m: any) => settle?.({ error: m.error, msg: m }));
  for (const id of ['tt', 'pin', 'poll', 'servers']) (helper.getNode(id) as any).on('call:status', (call: { args: [{ text?: string }] }) => statuses.set(id, call.args[0]));
}

function send(id: string, msg: Record<string, unknown> = {}, ms = 8000): Promise<{ msg?: any; error?: any }> {
  const result = nextEvent<{ msg?: any; error?: any }>((resolve) => { settle = resolve; }, ms, `outcome of ${id}`);
  helper.getNode(id).receive(msg);
  return result;
}

const account = () => helper.getNode('acct') as any;
const credentials = () => (helper as any)._RED.nodes.getCredentials('acct') ?? {};

/** Signs in through plex-pin → plex-poll-token; resolves with out 1's msg. */
async function signIn(): Promise<any> {
  const result = await send('pin', { payload: 'go' });
  assert.ok(result.msg, JSON.stringify(result.error));
  return result.msg;
}

describe('JWT sign-in in the nodes', () => {
  const standIn = new PlexStandIn({ approveAfterPolls: 1 });
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
    standIn.jwtLifetimeSec = 7 * 24 * 3600;
    await helper.unload();
    // Each test starts from a deployed account: nothing stored at runtime by the one before.
    runtimeState((helper as any)._RED).setToken('acct', undefined);
  });

  it('signs in with a key: the PIN carries the public JWK, out 1 has the verified Plex JWT and tokenExpiresAt, the account stores it and the private key', async () => {
    await load(standIn, 'jwt');
    const msg = await signIn();
    const { authToken, tokenExpiresAt, stored } = msg.payload;
    const issued = standIn.plexJwts.get(authToken);
    assert.ok(issued, 'out 1 carries a Plex JWT the stand-in issued');
    assert.equal(stored, true);
    assert.equal(Date.parse(tokenExpiresAt), issued.expiresAt);
    assert.match(tokenExpiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(account().token(), authToken);
    const { privateKey, token } = credentials();
    assert.equal(token, authToken);
    assert.match(privateKey, /^-----BEGIN PRIVATE KEY-----/);
    const pinRequest = standIn.requests.find((r) => r.method === 'POST' && r.path === '/api/v2/pins')!;
    assert.ok(pinRequest.body === undefined || !pinRequest.body.includes('"d"'));
    // The PIN was made with the key: its polls carried a device JWT signed with it (the stand-in checks the signature).
    assert.ok(standIn.requests.some((r) => /^\/api\/v2\/pins\/\d+\?deviceJWT=/.test(r.path)));
    const keyBody = privateKey.replace(/-----[A-Z ]+-----|\s/g, '');
    assert.ok(!JSON.stringify(msg).includes(keyBody), 'the private key is in no msg');
    assert.ok(!loggedText().includes(keyBody), 'nor in a log');
    assert.ok(!standIn.requests.some((r) => JSON.stringify(r).includes(keyBody)), 'nor in any request');

    const call = await send('tt');
    assert.ok(call.msg?.payload.token, JSON.stringify(call.error));
    assert.equal(standIn.requests.filter((r) => r.path.startsWith('/security/token')).pop()!.headers['x-plex-token'], authToken);
  });

  it('renews the JWT by itself when its short lifetime runs low; calls keep working with the new one', async () => {
    standIn.jwtLifetimeSec = 4;
    await load(standIn, 'jwt');
    const first = (await signIn()).payload.authToken;
    const renewed = await nextEvent<string>((resolve) => {
      const timer = setInterval(() => {
        if (account().token() !== first) {
          clearInterval(timer);
          resolve(account().token());
        }
      }, 50);
    }, 8000, 'a renewal');
    assert.ok(standIn.plexJwts.has(renewed), 'the renewed token is a Plex JWT of the stand-in');
    assert.equal(credentials().token, renewed, 'kept in the credentials');
    await delay(Math.max(0, standIn.plexJwts.get(first)!.expiresAt - Date.now()) + 50);
    const call = await send('tt');
    assert.ok(call.msg, JSON.stringify(call.error));
    assert.notEqual(standIn.requests.filter((r) => r.path.startsWith('/security/token')).pop()!.headers['x-plex-token'], first);
  });

  it('a 498 renews the JWT and retries the call once; a second 498 is PLEX_TOKEN_REJECTED', async () => {
    await load(standIn, 'jwt');
    const first = (await signIn()).payload.authToken;
    standIn.expirePlexJwt(first);
    const before = standIn.requests.length;
    const call = await send('tt');
    assert.ok(call.msg, JSON.stringify(call.error));
    const calls = standIn.requests.slice(before).filter((r) => r.path.startsWith('/security/token'));
    assert.equal(calls.length, 2, 'the call and one retry');
    assert.equal(calls[0].headers['x-plex-token'], first);
    assert.notEqual(calls[1].headers['x-plex-token'], first);
    assert.equal(account().token(), calls[1].headers['x-plex-token']);

    const expired = { status: 498, body: '{"errors":[{"code":1001,"message":"Token expired","status":498}]}' };
    standIn.fail(/^GET \/api\/v2\/resources/, expired, 2);
    const twice = await send('servers');
    assert.equal(twice.error?.code, 'PLEX_TOKEN_REJECTED');
    assert.match(twice.error.message, /498/);
  });

  it('a revoked JWT cannot be renewed: PLEX_TOKEN_REJECTED and "sign in again" on every node of the account', async () => {
    await load(standIn, 'jwt');
    const first = (await signIn()).payload.authToken;
    standIn.revokePlexJwt(first);
    standIn.expirePlexJwt(first);
    const call = await send('tt');
    assert.equal(call.error?.code, 'PLEX_TOKEN_REJECTED');
    await delay(250);
    for (const id of ['tt', 'pin', 'poll']) assert.match(statuses.get(id)?.text ?? '', /sign-in-again$/, `${id} shows "sign in again"`);
    const again = await send('servers');
    assert.equal(again.error?.code, 'PLEX_TOKEN_REJECTED');
    assert.ok(!loggedText().includes(first));
  });

  it('when plex.tv refuses a PIN made with a key, it signs in with a classic PIN and warns in plex.tv\'s words', async () => {
    await load(standIn, 'jwt');
    standIn.fail(/^POST \/api\/v2\/pins$/, { status: 422, body: '{"errors":[{"code":1099,"message":"Thumbprint Already Taken","status":422}]}' });
    const msg = await signIn();
    assert.equal(standIn.plexJwts.has(msg.payload.authToken), false, 'a classic token');
    assert.equal(msg.payload.tokenExpiresAt, undefined);
    assert.equal(account().token(), msg.payload.authToken);
    // The catalog puts plex.tv's words (__message__) in the warning; test runtimes log the key.
    assert.match(loggedText(), /warn\.key-pin-refused/);
    assert.ok(standIn.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v2/pins')).length >= 2, 'a PIN with the key, then a classic one');
  });

  it('Move to JWT: a classic account registers its key with the classic token and gets a renewing JWT; the route answers only its kind and expiry', async () => {
    const classic = standIn.addAccount('mover');
    await load(standIn, 'jwt', { token: classic });
    const held = (await helper.request().get('/plex-auth/accounts/acct').expect(200)).body;
    assert.deepEqual([held.tokenKind, held.expiresAt], ['classic', null]);
    const answer = (await helper.request().post('/plex-auth/accounts/acct/jwt').send({}).expect(200)).body;
    assert.equal(answer.tokenKind, 'jwt');
    const jwt = account().token();
    assert.ok(standIn.plexJwts.has(jwt), 'the account now holds a Plex JWT');
    assert.equal(answer.expiresAt, new Date(standIn.plexJwts.get(jwt)!.expiresAt).toISOString());
    assert.deepEqual(Object.keys(answer).sort(), ['expiresAt', 'tokenKind'], 'nothing else leaves');
    const register = standIn.requests.find((r) => r.path === '/api/v2/auth/jwk')!;
    assert.equal(register.headers['x-plex-token'], classic, 'the key was registered with the classic token');
    assert.match(credentials().privateKey, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(credentials().token, jwt);
    const call = await send('tt');
    assert.ok(call.msg, JSON.stringify(call.error));
  });

  for (const auth of [undefined, 'token']) {
    it(`a classic account (auth ${auth ?? 'missing'}) signs in as before: no key, no JWT call`, async () => {
      await load(standIn, auth);
      const before = standIn.requests.length;
      const msg = await signIn();
      assert.equal(msg.payload.tokenExpiresAt, undefined);
      assert.equal(standIn.plexJwts.has(msg.payload.authToken), false);
      assert.equal(credentials().privateKey, undefined, 'no key is made');
      const made = standIn.requests.slice(before);
      assert.ok(!made.some((r) => /\/auth\/|deviceJWT/.test(r.path) || (r.body ?? '').includes('jwk')));
      assert.equal(account().auth, 'token');
    });
  }
});
