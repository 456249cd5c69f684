/** The account object on its own (no Node-RED): storage, sign-in, "sign in again", the key device and its JWT, servers and JWTs. */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { HttpClient, MediaServerClient, PlexAccount, PlexError, type AccountRecord, type AccountStorage, type PlexAccountOptions } from '../../src/core';

const identity = { clientIdentifier: 'account-under-test', product: 'Home Automation', deviceName: 'Attic Pi' };

/** Storage in memory that keeps every record saved. */
class MemoryStorage implements AccountStorage {
  readonly saved: AccountRecord[] = [];
  constructor(private readonly stored: AccountRecord | Promise<AccountRecord> = {}) {}
  load() {
    return this.stored;
  }
  save(record: AccountRecord) {
    this.saved.push(JSON.parse(JSON.stringify(record)));
  }
  get last(): AccountRecord | undefined {
    return this.saved[this.saved.length - 1];
  }
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function plexErrorOf(promise: Promise<unknown>): Promise<PlexError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PlexError, `not a PlexError: ${error}`);
    return error;
  }
  assert.fail('did not fail');
}

describe('PlexAccount', () => {
  const standIn = new PlexStandIn();
  const http = new HttpClient({ timeoutMs: 3000 });
  const accounts: PlexAccount[] = [];
  const warnings: string[] = [];

  before(() => standIn.start());
  afterEach(() => {
    for (const account of accounts.splice(0)) account.close();
    warnings.length = 0;
    standIn.clearFaults();
    standIn.takesPlexJwts = false;
    standIn.jwtLifetimeSec = 7 * 24 * 3600;
  });
  after(async () => {
    http.close();
    await standIn.stopServers();
    await standIn.stop();
  });

  function open(storage: AccountStorage, options: Partial<PlexAccountOptions> = {}): PlexAccount {
    const account = new PlexAccount({
      identity,
      plexTvUrl: standIn.url,
      auth: 'token',
      storage,
      warn: (text) => warnings.push(text),
      // Nothing waits on a real clock: the key device is made at once, retried after 50 ms.
      timing: { checkFirstDelayMs: 60_000, keyDeviceFirstDelayMs: 0, keyDeviceRetryMs: [50], keyPinPollMs: 20 },
      ...options,
    });
    accounts.push(account);
    return account;
  }

  /** A classic token as plex.tv issues it: a PIN of the account's own identifier, approved. */
  async function classicToken(account: PlexAccount, username = 'someone'): Promise<string> {
    const pin = (await account.plexTv.createPin({ strong: true })).value;
    return standIn.approve(pin.id, username);
  }

  const transientWith = (token: string) => new MediaServerClient(standIn.url, identity, http).transientToken(token);

  describe('classic', () => {
    it('keeps a sign-in in its storage, calls with it, and forgets it on sign-out', async () => {
      const storage = new MemoryStorage();
      const account = open(storage);
      await account.ready;
      assert.equal((await plexErrorOf(account.withToken(async () => 'never'))).code, 'PLEX_NOT_SIGNED_IN');
      const token = await classicToken(account);
      account.signIn(token);
      assert.deepEqual(storage.last, { token });
      assert.equal(await account.withToken(async (current) => current), token);
      account.signOut();
      assert.deepEqual(storage.last, {});
      assert.equal(account.signedIn, false);
    });

    it('waits for a storage that loads later before any call', async () => {
      let resolve!: (record: AccountRecord) => void;
      const account = open(new MemoryStorage(new Promise<AccountRecord>((done) => (resolve = done))));
      const call = account.withToken(async (token) => token);
      await new Promise((done) => setTimeout(done, 20));
      resolve({ token: 'loaded-later' });
      assert.equal(await call, 'loaded-later');
    });

    it('marks "sign in again" when a call is refused, and clears it when a later call with the token works', async () => {
      const account = open(new MemoryStorage());
      await account.ready;
      const token = await classicToken(account);
      account.signIn(token);
      const changes: boolean[] = [];
      account.health.onChange((needed) => changes.push(needed));
      standIn.fail(/GET \/api\/v2\/user/, { status: 401, body: '{"errors":[{"code":1001,"message":"User could not be authenticated"}]}' });
      assert.deepEqual(await account.checkToken(), { state: 'revoked' });
      assert.equal(account.health.signInNeeded, true);
      await transientWith(token); // the token works at the server again: a call through the account says so
      await account.withToken((current) => transientWith(current));
      assert.equal(account.health.signInNeeded, false);
      assert.deepEqual(changes, [true, false]);
    });

    it('a passing fault (503, no answer) says nothing about the token', async () => {
      const account = open(new MemoryStorage());
      account.signIn(await classicToken(account));
      standIn.fail(/GET \/api\/v2\/user/, { status: 503, body: 'busy', contentType: 'text/plain' });
      const result = await account.checkToken();
      assert.equal(result?.state, 'unreachable');
      assert.equal(account.health.signInNeeded, false);
    });

    it('a Plex JWT saved as the token by version 0.2 asks for a new sign-in, and the sign-in mends it', async () => {
      const legacy = 'eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJwbGV4LnR2In0.c2lnbmF0dXJl';
      const account = open(new MemoryStorage({ token: legacy }), { auth: 'jwt' });
      await account.ready;
      assert.equal(account.token(), undefined);
      assert.equal(account.state().legacyJwt, true);
      assert.equal(account.health.signInNeeded, true);
      const error = await plexErrorOf(account.withToken(async () => 'never'));
      assert.equal(error.code, 'PLEX_TOKEN_REJECTED');
      assert.match(error.message, /sign in again/);
      assert.ok(!error.message.includes(legacy));
      const token = await classicToken(account);
      account.signIn(token);
      assert.equal(account.health.signInNeeded, false);
      assert.ok((await account.withToken((current) => transientWith(current))).value.token.startsWith('transient-'));
    });
  });

  describe('auth "jwt": the key device', () => {
    it('after a classic sign-in makes its key device with no step for the user; servers keep the classic token', async () => {
      const storage = new MemoryStorage();
      const account = open(storage, { auth: 'jwt' });
      const token = await classicToken(account);
      account.signIn(token);
      await until(() => account.state().keyDevice.state === 'ready', 'key device');
      const { keyDevice } = account.state();
      assert.notEqual(keyDevice.clientIdentifier, identity.clientIdentifier);
      const link = standIn.requests.find((request) => request.method === 'PUT' && request.path === '/api/v2/pins/link');
      assert.equal(link?.headers['x-plex-token'], token, 'the key PIN is approved with the classic token');
      const jwt = storage.last?.keyDevice?.jwt;
      assert.ok(jwt && standIn.plexJwts.get(jwt)?.clientIdentifier === keyDevice.clientIdentifier, 'the Plex JWT is for the key device');
      assert.equal(storage.last?.token, token);
      assert.ok(![...standIn.plexJwts.values()].some((issued) => issued.clientIdentifier === identity.clientIdentifier), 'no JWT for the account identifier');
      // The classic token still works, at plex.tv and at the server.
      assert.equal(await account.withToken(async (current) => current), token);
      assert.ok((await account.withToken((current) => transientWith(current))).value.token.startsWith('transient-'));
      assert.equal((await account.checkToken())?.state, 'valid');
    });

    it('calls plex.tv about the account as the key device with its JWT', async () => {
      const account = open(new MemoryStorage(), { auth: 'jwt' });
      account.signIn(await classicToken(account));
      await until(() => account.state().keyDevice.state === 'ready', 'key device');
      const used = await account.withPlexTvToken(async (token, plexTv) => ({ token, client: plexTv }));
      assert.ok(standIn.plexJwts.has(used.token));
      await account.withPlexTvToken((token, plexTv) => plexTv.getUser(token));
      const last = standIn.requests.filter((request) => request.path === '/api/v2/user').pop()!;
      assert.equal(last.headers['x-plex-client-identifier'], account.state().keyDevice.clientIdentifier);
    });

    it('a 498 renews the JWT once and the call is made once more', async () => {
      const storage = new MemoryStorage();
      const account = open(storage, { auth: 'jwt' });
      account.signIn(await classicToken(account));
      await until(() => account.state().keyDevice.state === 'ready', 'key device');
      const first = storage.last!.keyDevice!.jwt;
      standIn.expirePlexJwt(first);
      const user = await account.withPlexTvToken((token, plexTv) => plexTv.getUser(token));
      assert.equal(user.value.username, 'someone');
      const renewed = storage.last!.keyDevice!.jwt;
      assert.notEqual(renewed, first);
      assert.ok(standIn.plexJwts.has(renewed));
    });

    it('renews the JWT by itself before it expires, and keeps the renewed one', async () => {
      standIn.jwtLifetimeSec = 2;
      const storage = new MemoryStorage();
      const account = open(storage, { auth: 'jwt' });
      account.signIn(await classicToken(account));
      await until(() => account.state().keyDevice.state === 'ready', 'key device');
      const first = storage.last!.keyDevice!.jwt;
      // Real time is the point here: a 2 s JWT is renewed when less than a seventh of it is left.
      await until(() => storage.last!.keyDevice!.jwt !== first, 'renewal', 4000);
      assert.ok(standIn.plexJwts.has(storage.last!.keyDevice!.jwt));
      assert.equal(storage.last!.token, storage.saved.find((record) => record.keyDevice)?.token, 'the classic token is unchanged');
    });

    it('a JWT plex.tv refuses (device removed) falls back to the classic token at once, and a new key device is made', async () => {
      const storage = new MemoryStorage();
      const account = open(storage, { auth: 'jwt' });
      const token = await classicToken(account);
      account.signIn(token);
      await until(() => account.state().keyDevice.state === 'ready', 'key device');
      const first = storage.last!.keyDevice!.jwt;
      standIn.revokePlexJwt(first);
      const used = await account.withPlexTvToken(async (current, plexTv) => (await plexTv.getUser(current), current));
      assert.equal(used, token);
      assert.equal(account.health.signInNeeded, false);
      await until(() => account.state().keyDevice.state === 'ready' && storage.last?.keyDevice?.jwt !== first, 'a new key device');
      assert.ok(warnings.some((text) => /key device stopped working/.test(text)));
    });

    it('a key device plex.tv no longer knows (its renewal refused: 422 signature) is made anew, and the call goes on with the classic token', async () => {
      const storage = new MemoryStorage();
      const account = open(storage, { auth: 'jwt' });
      const token = await classicToken(account);
      account.signIn(token);
      await until(() => account.state().keyDevice.state === 'ready', 'key device');
      const first = storage.last!.keyDevice!;
      standIn.expirePlexJwt(first.jwt);
      standIn.deviceKeys.clear(); // removed on plex.tv: its key is unknown there now
      const used = await account.withPlexTvToken(async (current, plexTv) => (await plexTv.getUser(current), current));
      assert.equal(used, token);
      await until(() => account.state().keyDevice.state === 'ready' && storage.last?.keyDevice?.privateKey !== first.privateKey, 'a new key device');
      assert.equal(warnings.filter((text) => /renewing the Plex JWT failed/.test(text)).length, 0, 'no retries of a key plex.tv does not know');
    });

    it('a set-up plex.tv refuses is no failed sign-in: the classic token works, a warning says why, and it is tried again', async () => {
      const account = open(new MemoryStorage(), { auth: 'jwt' });
      const token = await classicToken(account);
      standIn.fail(/^POST \/api\/v2\/pins$/, { status: 503, body: '{"errors":[{"code":1000,"message":"Service unavailable"}]}' });
      account.signIn(token);
      await until(() => account.state().keyDevice.state === 'failed', 'failed set-up');
      assert.match(account.state().keyDevice.error!, /503/);
      assert.ok(warnings.some((text) => /key device .* could not be made .*503.* classic token works/.test(text)));
      assert.equal(await account.withToken(async (current) => current), token);
      await until(() => account.state().keyDevice.state === 'ready', 'the retry');
    });

    it('a classic token handed back where the JWT was expected is a fault of the set-up, never kept as the JWT', async () => {
      const storage = new MemoryStorage();
      const account = open(storage, { auth: 'jwt', timing: { keyDeviceFirstDelayMs: 0, keyDeviceRetryMs: [60_000], keyPinPollMs: 20 } });
      const token = await classicToken(account);
      standIn.fail(/^GET \/api\/v2\/pins\/\d+\?deviceJWT=/, {
        status: 200,
        body: JSON.stringify({ id: 1, code: 'X', authToken: 'classic-token-12345', expiresIn: 900 }),
      });
      account.signIn(token);
      await until(() => account.state().keyDevice.state === 'failed', 'failed set-up');
      assert.match(account.state().keyDevice.error!, /classic token where the Plex JWT/);
      assert.equal(storage.last?.keyDevice, undefined);
    });

    it('a stored key device is used as it is: no new PIN, and its JWT still renews', async () => {
      const storage = new MemoryStorage();
      const first = open(storage, { auth: 'jwt' });
      first.signIn(await classicToken(first));
      await until(() => first.state().keyDevice.state === 'ready', 'key device');
      first.close();
      const record = storage.last!;
      const pinsBefore = standIn.pins.size;
      const again = new MemoryStorage(record);
      const account = open(again, { auth: 'jwt' });
      await account.ready;
      await until(() => account.state().keyDevice.state === 'ready', 'stored key device');
      assert.equal(standIn.pins.size, pinsBefore);
      standIn.expirePlexJwt(record.keyDevice!.jwt);
      await account.withPlexTvToken((token, plexTv) => plexTv.getUser(token));
      assert.notEqual(again.last?.keyDevice?.jwt, record.keyDevice!.jwt);
    });

    it('an account set back to "token" forgets a stored key device', async () => {
      const storage = new MemoryStorage({ token: 'classic', keyDevice: { clientIdentifier: 'kd', privateKey: 'x', jwt: 'a.b.c' } });
      const account = open(storage, { auth: 'token' });
      await account.ready;
      assert.deepEqual(storage.last, { token: 'classic' });
      assert.equal(account.state().keyDevice.state, 'none');
    });

    it('"Move to JWT" makes the key device now and keeps the classic token; "Back to classic" forgets it', async () => {
      const storage = new MemoryStorage();
      const account = open(storage);
      const token = await classicToken(account);
      account.signIn(token);
      const state = await account.moveToJwt('chosen-key-device-id');
      assert.equal(state.state, 'ready');
      assert.equal(state.clientIdentifier, 'chosen-key-device-id');
      assert.ok((await account.withToken((current) => transientWith(current))).value.token);
      await account.backToClassic();
      assert.deepEqual(storage.last, { token });
      assert.equal(account.auth, 'token');
    });
  });

  describe('servers and Plex JWTs', () => {
    it('checks whether a server takes its server-scoped JWT, moves it to JWTs on a 200, and back to the classic token when it refuses one', async () => {
      const server = await standIn.addServer({ name: 'Living Room', connections: [{ local: true }] });
      const account = open(new MemoryStorage(), { auth: 'jwt' });
      const token = await classicToken(account);
      account.signIn(token);
      await until(() => account.state().keyDevice.state === 'ready', 'key device');
      const client = new MediaServerClient(server.standIn.url, identity, http);
      const watched = { machineIdentifier: server.standIn.machineIdentifier, client };

      const refused = await account.checkServerJwt(watched);
      assert.equal(refused.takesJwt, false);
      assert.equal(await account.withServerToken(watched.machineIdentifier, async (current) => current), token);

      server.standIn.takesPlexJwts = true;
      assert.equal((await account.checkServerJwt(watched)).takesJwt, true);
      const used = await account.withServerToken(watched.machineIdentifier, async (current) => current);
      assert.notEqual(used, token);
      assert.ok(used.length > 200, 'a server-scoped JWT');

      server.standIn.takesPlexJwts = false;
      const answer = await account.withServerToken(watched.machineIdentifier, (current) => client.transientToken(current));
      assert.ok(answer.value.token.startsWith('transient-'));
      assert.equal(account.serverJwtState(watched.machineIdentifier)?.takesJwt, false);
      assert.equal(account.health.signInNeeded, false);
      assert.ok(warnings.some((text) => /refused its Plex JWT/.test(text)));
    });

    it('sends no JWT to an address that does not answer as the server', async () => {
      const server = await standIn.addServer({ name: 'Office', connections: [{ local: true }] });
      const decoy = await standIn.addServer({ name: 'Decoy', connections: [{ local: true }] });
      const account = open(new MemoryStorage(), { auth: 'jwt' });
      account.signIn(await classicToken(account));
      await until(() => account.state().keyDevice.state === 'ready', 'key device');
      const client = new MediaServerClient(decoy.standIn.url, identity, http);
      const error = await plexErrorOf(account.checkServerJwt({ machineIdentifier: server.standIn.machineIdentifier, client }));
      assert.match(error.message, /does not answer as server/);
      assert.ok(!decoy.standIn.requests.some((request) => request.path === '/' && request.headers['x-plex-token']), 'no token went to the decoy');
    });
  });

  it('close() leaves no timer of its own behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const account = open(new MemoryStorage(), { auth: 'jwt', timing: { checkFirstDelayMs: 60_000, keyDeviceFirstDelayMs: 60_000 } });
    account.signIn(await classicToken(account));
    assert.ok(timers() > before);
    account.close();
    assert.equal(timers(), before);
  });
});
