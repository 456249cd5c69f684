/**
 * Accounts with auth "jwt" in the nodes, against a stand-in that plays real servers: they refuse
 * every Plex JWT, and a JWT issued for a client identifier ends that identifier's classic token.
 * The account signs in classic (servers get that token), then makes its key device with no step
 * for the user; the JWT is for plex.tv only, until a server shows it takes one.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { helper, startRuntime, stopRuntime, loggedText, stateOfRuntime } from './harness';
import { allNodes, nextEvent } from '../support';

const catchNode = require('@node-red/nodes/core/common/25-catch.js');
const CLIENT_ID = 'jwt-client';

function flow(standIn: PlexStandIn, auth: string | undefined, server: { url: string; machineIdentifier?: string }) {
  const at = (id: string, y: number) => ({ id, z: 'tab', x: 100, y });
  return [
    { id: 'tab', type: 'tab', label: 'jwt' },
    {
      id: 'acct',
      type: 'plex-account',
      name: 'jwt',
      clientIdentifier: CLIENT_ID,
      product: 'Node-RED',
      deviceName: 'Test',
      plexTvUrl: standIn.url,
      ...(auth ? { auth } : {}),
    },
    { id: 'srv', type: 'plex-server', name: 'server', url: server.url, account: 'acct', tls: '', machineIdentifier: server.machineIdentifier ?? '' },
    { ...at('pin', 100), type: 'plex-pin', account: 'acct', strong: true, forwardUrl: '', wires: [['poll']] },
    { ...at('poll', 140), type: 'plex-poll-token', account: 'acct', interval: 1, timeout: 0, store: true, wires: [['out'], ['out']] },
    { ...at('tt', 180), type: 'plex-transient-token', server: 'srv', wires: [['out']] },
    { ...at('si', 200), type: 'plex-source-info', server: 'srv', source: 'server://known', wires: [['out']] },
    { ...at('servers', 220), type: 'plex-servers', account: 'acct', wires: [['out']] },
    { ...at('link', 240), type: 'plex-link-code', account: 'acct', wires: [['out']] },
    { ...at('out', 300), type: 'helper' },
    { ...at('catch', 340), type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { ...at('caught', 380), type: 'helper' },
  ];
}

let settle: ((outcome: { msg?: any; error?: any }) => void) | undefined;
const caught: any[] = [];
const statuses = new Map<string, { text?: string }>();

async function load(
  standIn: PlexStandIn,
  auth: string | undefined,
  credentials: Record<string, string> = {},
  server: { url?: string; machineIdentifier?: string } = {},
): Promise<void> {
  statuses.clear();
  caught.length = 0;
  await helper.load([...allNodes, catchNode], flow(standIn, auth, { url: server.url ?? standIn.url, machineIdentifier: server.machineIdentifier }), {
    acct: credentials,
  });
  helper.getNode('out').on('input', (m: any) => settle?.({ msg: m }));
  helper.getNode('caught').on('input', (m: any) => {
    caught.push(m.error);
    settle?.({ error: m.error, msg: m });
  });
  for (const id of ['tt', 'pin', 'poll', 'servers'])
    (helper.getNode(id) as any).on('call:status', (call: { args: [{ text?: string }] }) => statuses.set(id, call.args[0]));
}

function send(id: string, msg: Record<string, unknown> = {}, ms = 8000): Promise<{ msg?: any; error?: any }> {
  const result = nextEvent<{ msg?: any; error?: any }>(
    (resolve) => {
      settle = resolve;
    },
    ms,
    `outcome of ${id}`,
  );
  helper.getNode(id).receive(msg);
  return result;
}

const account = () => (helper.getNode('acct') as any).account;
const credentials = () => (helper as any)._RED.nodes.getCredentials('acct') ?? {};
const lastTokenAt = (standIn: PlexStandIn, path: string) =>
  standIn.requests.filter((r) => r.path.startsWith(path)).pop()?.headers['x-plex-token'] as string | undefined;

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Signs in through plex-pin → plex-poll-token; resolves with out 1's msg. */
async function signIn(): Promise<any> {
  const result = await send('pin', { payload: 'go' });
  assert.ok(result.msg, JSON.stringify(result.error));
  return result.msg;
}

const keyDeviceReady = () => until(() => account().state().keyDevice.state === 'ready', 'the key device');

describe('accounts with auth "jwt" in the nodes', () => {
  const standIn = new PlexStandIn({ approveAfterPolls: 1 });
  before(async () => {
    await standIn.start();
    standIn.sources.set('server://known', { name: 'known', clientIdentifier: 'known', accessToken: 'access', Connection: [] });
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stopServers();
    await standIn.stop();
  });
  afterEach(async () => {
    standIn.clearFaults();
    standIn.jwtLifetimeSec = 7 * 24 * 3600;
    standIn.takesPlexJwts = false;
    await helper.unload();
    // Each test starts from a deployed account: nothing stored at runtime by the one before.
    stateOfRuntime().setAccount('acct', undefined);
  });

  it('signs in classic, then makes its key device with no further approval; servers get the classic token', async () => {
    await load(standIn, 'jwt');
    const msg = await signIn();
    const { authToken, stored, clientIdentifier } = msg.payload;
    assert.equal(stored, true);
    assert.equal(clientIdentifier, CLIENT_ID);
    assert.equal(standIn.plexJwts.has(authToken), false, 'out 1 carries the classic token');
    await keyDeviceReady();
    const { keyDevice } = account().state();
    assert.notEqual(keyDevice.clientIdentifier, CLIENT_ID);
    const { token, jwt, privateKey } = credentials();
    assert.equal(token, authToken);
    assert.equal(standIn.plexJwts.get(jwt)?.clientIdentifier, keyDevice.clientIdentifier, "the Plex JWT is the key device's");
    assert.match(privateKey, /^-----BEGIN PRIVATE KEY-----/);
    assert.ok(![...standIn.plexJwts.values()].some((issued) => issued.clientIdentifier === CLIENT_ID), 'no JWT is ever issued for clientIdentifier');
    assert.equal(standIn.pins.size, standIn.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v2/pins')).length);

    for (const id of ['tt', 'si', 'servers']) {
      const call = await send(id);
      assert.ok(call.msg, `${id}: ${JSON.stringify(call.error)}`);
    }
    assert.equal(lastTokenAt(standIn, '/security/token'), authToken);
    assert.equal(lastTokenAt(standIn, '/security/resources'), authToken);
    assert.equal(lastTokenAt(standIn, '/api/v2/resources'), authToken, 'the servers are listed with the classic token');
    const keyBody = privateKey.replace(/-----[A-Z ]+-----|\s/g, '');
    for (const secret of [keyBody, jwt]) assert.ok(!loggedText().includes(secret), 'no secret in a log');
  });

  it('calls plex.tv about the account (linking a code) as the key device with its JWT', async () => {
    await load(standIn, 'jwt');
    await signIn();
    await keyDeviceReady();
    const tv = standIn.newPin({ clientIdentifier: 'a-tv', product: 'TV', strong: false });
    const linked = await send('link', { payload: tv.code });
    assert.ok(linked.msg, JSON.stringify(linked.error));
    const request = standIn.requests.filter((r) => r.path === '/api/v2/pins/link').pop()!;
    assert.equal(request.headers['x-plex-token'], credentials().jwt);
    assert.equal(request.headers['x-plex-client-identifier'], account().state().keyDevice.clientIdentifier);
  });

  it("keeps the classic token working through renewals of the key device's JWT (short lifetime)", async () => {
    standIn.jwtLifetimeSec = 2;
    await load(standIn, 'jwt');
    const { authToken } = (await signIn()).payload;
    await keyDeviceReady();
    const first = credentials().jwt;
    // Real time is the point: a 2 s JWT renews itself about 0.3 s before it ends.
    await until(() => credentials().jwt !== first, 'a renewal', 4000);
    assert.ok(standIn.plexJwts.has(credentials().jwt));
    assert.equal(credentials().token, authToken);
    const call = await send('tt');
    assert.ok(call.msg, JSON.stringify(call.error));
    assert.equal(lastTokenAt(standIn, '/security/token'), authToken);
  });

  it('a key device set-up plex.tv refuses is no failed sign-in: the token works, a warning and the dialog say why', async () => {
    await load(standIn, 'jwt');
    standIn.fail(/^POST \/api\/v2\/pins$/, { status: 400, body: '{"errors":[{"code":1000,"message":"jwk is not valid"}]}' }, 1);
    // The sign-in's own PIN is made first (classic); the key device's PIN after the approval is refused.
    const pin = await send('pin', { payload: 'go' });
    assert.ok(pin.msg);
    await until(() => account().state().keyDevice.state === 'failed', 'a failed set-up');
    const shown = (await helper.request().get('/plex-auth/accounts/acct').expect(200)).body;
    assert.equal(shown.signedIn, true);
    assert.equal(shown.keyDevice.state, 'failed');
    assert.match(shown.keyDevice.error, /jwk is not valid/);
    assert.ok(Date.parse(shown.keyDevice.retryAt) > Date.now());
    assert.match(loggedText(), /key device .* could not be made .*jwk is not valid/);
    const call = await send('tt');
    assert.ok(call.msg, JSON.stringify(call.error));
    assert.equal(caught.length, 0);
  });

  it('Move to JWT keeps the classic token: the key device is made with it, and servers still get it', async () => {
    const classic = standIn.addAccount('mover');
    await load(standIn, 'token', { token: classic });
    const before = standIn.requests.length;
    const answer = (await helper.request().post('/plex-auth/accounts/acct/jwt').send({}).expect(200)).body;
    assert.equal(answer.keyDevice.state, 'ready');
    assert.equal(answer.auth, 'jwt');
    assert.deepEqual(Object.keys(answer).sort(), ['auth', 'keyDevice', 'lastCheck', 'legacyJwt', 'signInNeeded', 'signedIn']);
    assert.ok(!JSON.stringify(answer).includes(credentials().jwt), 'no token in the answer');
    assert.equal(credentials().token, classic);
    const approve = standIn.requests.slice(before).find((r) => r.path === '/api/v2/pins/link')!;
    assert.equal(approve.headers['x-plex-token'], classic);
    const call = await send('tt');
    assert.ok(call.msg, JSON.stringify(call.error));
    assert.equal(lastTokenAt(standIn, '/security/token'), classic);
    const back = (await helper.request().delete('/plex-auth/accounts/acct/jwt').expect(200)).body;
    assert.equal(back.keyDevice.state, 'none');
    assert.equal(credentials().jwt, undefined);
    assert.equal(credentials().token, classic);
  });

  it('the JWT check moves a server to JWTs when it takes them, and back to the classic token when it stops, with no error for a flow', async () => {
    const server = await standIn.addServer({ name: 'Living Room', connections: [{ local: true }] });
    await load(standIn, 'jwt', {}, { url: server.standIn.url, machineIdentifier: server.standIn.machineIdentifier });
    const { authToken } = (await signIn()).payload;
    await keyDeviceReady();
    const refused = (await helper.request().post('/plex-auth/servers/srv/jwt').send({}).expect(200)).body;
    assert.equal(refused.takesJwt, false);
    server.standIn.takesPlexJwts = true;
    assert.equal((await helper.request().post('/plex-auth/servers/srv/jwt').send({}).expect(200)).body.takesJwt, true);
    assert.equal((await helper.request().get('/plex-auth/servers/srv').expect(200)).body.jwt.takesJwt, true);
    let call = await send('tt');
    assert.ok(call.msg, JSON.stringify(call.error));
    const scoped = lastTokenAt(server.standIn, '/security/token');
    assert.notEqual(scoped, authToken);
    assert.equal(scoped?.split('.').length, 3, 'a server-scoped JWT');

    server.standIn.takesPlexJwts = false;
    call = await send('tt');
    assert.ok(call.msg, JSON.stringify(call.error));
    assert.equal(lastTokenAt(server.standIn, '/security/token'), authToken, 'retried with the classic token');
    assert.equal(caught.length, 0);
    assert.equal(account().health.signInNeeded, false);
    assert.ok(!/sign-in-again/.test(statuses.get('tt')?.text ?? ''));
    assert.equal((await helper.request().get('/plex-auth/servers/srv').expect(200)).body.jwt.takesJwt, false);
  });

  it('an account saved by version 0.2 with a Plex JWT as its token asks for a new sign-in, never crashes, and the sign-in mends it', async () => {
    const legacy = 'eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJwbGV4LnR2IiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJlLW9mLWEtcGxleC1qd3Q';
    await load(standIn, 'jwt', { token: legacy });
    await until(() => /sign-in-again/.test(statuses.get('tt')?.text ?? ''), '"sign in again"');
    const shown = (await helper.request().get('/plex-auth/accounts/acct').expect(200)).body;
    assert.equal(shown.legacyJwt, true);
    assert.equal(shown.signInNeeded, true);
    const call = await send('tt');
    assert.equal(call.error?.code, 'PLEX_TOKEN_REJECTED');
    assert.match(call.error.message, /sign in again/);
    assert.ok(!loggedText().includes(legacy));
    const { authToken } = (await signIn()).payload;
    assert.equal(account().health.signInNeeded, false);
    const after = await send('tt');
    assert.ok(after.msg, JSON.stringify(after.error));
    assert.equal(lastTokenAt(standIn, '/security/token'), authToken);
  });

  for (const auth of [undefined, 'token']) {
    it(`a classic account (auth ${auth ?? 'missing'}) makes no key device and no JWT call`, async () => {
      await load(standIn, auth);
      const before = standIn.requests.length;
      const msg = await signIn();
      assert.equal(standIn.plexJwts.has(msg.payload.authToken), false);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(credentials().privateKey, undefined, 'no key is made');
      const made = standIn.requests.slice(before);
      assert.ok(!made.some((r) => /\/auth\/|deviceJWT|pins\/link/.test(r.path) || (r.body ?? '').includes('jwk')));
      assert.equal(account().auth, 'token');
    });
  }
});
