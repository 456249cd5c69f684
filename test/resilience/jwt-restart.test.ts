/**
 * An account with auth "jwt" in a real node-red: plex-pin → plex-poll-token signs in classic and
 * the account makes its key device; Node-RED restarts before any Deploy saved it, and the account
 * still holds the classic token (servers get it), the key device and its JWT, which it keeps
 * renewing; the private key and the tokens are in no file of the user directory in clear text.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { linkRepoIntoUserDir, startNodeRed, type NodeRed } from '../../dev/node-red-process';
import { waitForLog } from '../../dev/flow-check';
import { SealedFile, keyFromSecret } from '../../src/core';
import { delay } from '../support';

const SECRET = 'jwt restart secret';

function flows(standInUrl: string): unknown[] {
  const log = (id: string, x: number, y: number) => ({
    id,
    type: 'debug',
    z: 'tab',
    active: true,
    tosidebar: false,
    console: true,
    complete: 'payload',
    targetType: 'msg',
    x,
    y,
    wires: [],
  });
  return [
    { id: 'tab', type: 'tab', label: 'jwt' },
    {
      id: 'acct',
      type: 'plex-account',
      name: 'jwt',
      clientIdentifier: 'jwt-restart-client',
      product: 'Node-RED',
      deviceName: 'jwt',
      plexTvUrl: standInUrl,
      auth: 'jwt',
    },
    { id: 'srv', type: 'plex-server', name: 'server', url: standInUrl, account: 'acct', tls: '' },
    { id: 'signin', type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 100, wires: [['pin']] },
    { id: 'pin', type: 'plex-pin', z: 'tab', account: 'acct', strong: true, forwardUrl: '', x: 300, y: 100, wires: [['poll']] },
    { id: 'poll', type: 'plex-poll-token', z: 'tab', account: 'acct', interval: 1, timeout: 0, store: true, x: 500, y: 100, wires: [['signed'], []] },
    {
      id: 'signed',
      type: 'change',
      z: 'tab',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '"SIGNED-IN " & $string(payload.stored)', tot: 'jsonata' }],
      x: 700,
      y: 100,
      wires: [['signed-log']],
    },
    log('signed-log', 900, 100),
    { id: 'go', type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 200, wires: [['tt']] },
    { id: 'tt', type: 'plex-transient-token', z: 'tab', server: 'srv', x: 300, y: 200, wires: [['ok']] },
    {
      id: 'ok',
      type: 'change',
      z: 'tab',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '"TRANSIENT " & $substring(payload.token, 0, 10)', tot: 'jsonata' }],
      x: 500,
      y: 200,
      wires: [['ok-log']],
    },
    log('ok-log', 700, 200),
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, x: 100, y: 300, wires: [['caught']] },
    {
      id: 'caught',
      type: 'change',
      z: 'tab',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '"CAUGHT " & error.message', tot: 'jsonata' }],
      x: 300,
      y: 300,
      wires: [['caught-log']],
    },
    log('caught-log', 500, 300),
  ];
}

/** Every file under dir, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : entry.isFile() ? [full] : [];
  });
}

describe('an account with a key device in a real node-red, across a restart', () => {
  const standIn = new PlexStandIn({ approveAfterPolls: 1 });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-jwt-'));
  let nodeRed: NodeRed;
  const start = () => startNodeRed({ userDir, settings: { credentialSecret: SECRET } });

  before(async () => {
    await standIn.start();
    standIn.jwtLifetimeSec = 6;
    linkRepoIntoUserDir(userDir);
    nodeRed = await start();
  });
  after(async () => {
    await nodeRed?.stop();
    await standIn.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function call(): Promise<string> {
    const from = nodeRed.output().length;
    await nodeRed.inject('go');
    await waitForLog(nodeRed, /TRANSIENT transient-|CAUGHT/, 20_000, from);
    assert.doesNotMatch(nodeRed.output().slice(from), /CAUGHT/, nodeRed.output().slice(from));
    return standIn.requests.filter((r) => r.path.startsWith('/security/token')).pop()!.headers['x-plex-token'] as string;
  }

  it('signs in classic, makes its key device, keeps both sealed across a restart, renews after it, and no secret is in a file in clear text', async () => {
    await nodeRed.deploy(flows(standIn.url));
    const from = nodeRed.output().length;
    await nodeRed.inject('signin');
    const signed = await waitForLog(nodeRed, /SIGNED-IN (\S+)|CAUGHT.*/, 20_000, from);
    assert.equal(signed[1], 'true', signed[0]);
    // The key device is made with no step for the user: its JWT is the first one plex.tv issues.
    for (let waited = 0; standIn.plexJwts.size === 0; waited += 100) {
      assert.ok(waited < 20_000, 'a key device');
      await delay(100);
    }
    const classic = await call();
    assert.ok(!standIn.plexJwts.has(classic), 'the server gets the classic token');
    const [firstJwt, firstIssued] = [...standIn.plexJwts.entries()][0];
    assert.notEqual(firstIssued.clientIdentifier, 'jwt-restart-client', "the JWT is the key device's");

    await nodeRed.stop();
    // No Deploy since the sign-in: the token, the key and the JWT live only in the sealed runtime state.
    const sealed = new SealedFile<{ accounts: Record<string, { record: { token: string; keyDevice?: { privateKey: string; jwt: string } } }> }>(
      path.join(userDir, '.plex-auth', 'state.sealed.json'),
      keyFromSecret(SECRET),
    ).read();
    const record = sealed?.accounts.acct?.record;
    assert.equal(record?.token, classic);
    const privateKey = record?.keyDevice?.privateKey;
    assert.match(privateKey ?? '', /^-----BEGIN PRIVATE KEY-----/, 'the key is sealed');
    const pemBody = privateKey!.replace(/-----[A-Z ]+-----|\s/g, '');
    const d = createPrivateKey(privateKey!).export({ format: 'jwk' }).d!;
    for (const file of filesUnder(userDir).filter((each) => !each.includes(`${path.sep}node_modules${path.sep}`))) {
      const text = fs.readFileSync(file).toString('latin1');
      assert.ok(!text.includes(pemBody) && !text.includes(d), `${path.relative(userDir, file)} holds no clear private key`);
      for (const token of [classic, record!.keyDevice!.jwt]) assert.ok(!text.includes(token), `${path.relative(userDir, file)} holds no clear token`);
    }

    const issuedBefore = standIn.plexJwts.size;
    nodeRed = await start();
    // The restarted account renews with the sealed key: plex.tv issues new JWTs without a sign-in or a new key device.
    for (let waited = 0; standIn.plexJwts.size <= issuedBefore; waited += 200) {
      assert.ok(waited < 20_000, 'a renewal after the restart');
      await delay(200);
    }
    const renewed = [...standIn.plexJwts.entries()].pop()!;
    assert.equal(renewed[1].kid, firstIssued.kid, 'bound to the same key');
    assert.notEqual(renewed[0], firstJwt);
    assert.equal(await call(), classic, 'the server still gets the classic token');
    assert.doesNotMatch(nodeRed.output(), /BEGIN PRIVATE KEY|CAUGHT/);
  });
});
