/**
 * End to end: the packed package installed into a fresh Node-RED user directory, a real
 * `node-red` process, flows deployed through the Admin API, the PIN flow run to a token
 * against the stand-in, and that token used by a server node, before and after a restart.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { installIntoUserDir, packRepo, startNodeRed, type NodeRed } from '../../dev/node-red-process';

const inject = (id: string, wire: string, y: number) => ({ id, type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y, wires: [[wire]] });
/** Prints `text` (a JSONata expression over msg) to Node-RED's log, so the test can read it. */
const report = (id: string, text: string, y: number) => [
  { id, type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: text, tot: 'jsonata' }], x: 500, y, wires: [[`${id}-log`]] },
  { id: `${id}-log`, type: 'debug', z: 'tab', active: true, tosidebar: false, console: true, complete: 'payload', targetType: 'msg', x: 700, y, wires: [] },
];

function waitForLog(nodeRed: NodeRed, pattern: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const look = () => {
      const match = nodeRed.output().match(pattern);
      if (match) return resolve(match);
      if (Date.now() > until) return reject(new Error(`no ${pattern} in the log:\n${nodeRed.output().slice(-3000)}`));
      setTimeout(look, 100);
    };
    look();
  });
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !path.join(entry.parentPath, entry.name).includes(`${path.sep}node_modules${path.sep}`))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('the packed package in a real Node-RED', () => {
  const standIn = new PlexStandIn({ approveAfterPolls: 2 });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-e2e-'));
  const userDir = path.join(work, 'user');
  let nodeRed: NodeRed;

  const flows = () => [
    { id: 'tab', type: 'tab', label: 'e2e' },
    { id: 'acct', type: 'plex-account', name: 'e2e', clientIdentifier: 'e2e-client', product: 'Node-RED', deviceName: 'e2e', plexTvUrl: standIn.url },
    { id: 'srv', type: 'plex-server', name: 'stand-in', url: standIn.url, account: 'acct', tls: '' },
    inject('go', 'pin', 100),
    { id: 'pin', type: 'plex-pin', z: 'tab', account: 'acct', strong: true, forwardUrl: '', x: 300, y: 100, wires: [['poll', 'pin-report']] },
    ...report('pin-report', '"PIN " & payload.id & " " & payload.code', 60),
    { id: 'poll', type: 'plex-poll-token', z: 'tab', account: 'acct', interval: 1, timeout: 0, store: true, x: 300, y: 160, wires: [['approved'], ['ended']] },
    ...report('approved', '"APPROVED " & payload.id & " stored=" & payload.stored', 160),
    ...report('ended', '"ENDED " & payload.reason', 200),
    inject('transient', 'tt', 260),
    { id: 'tt', type: 'plex-transient-token', z: 'tab', server: 'srv', x: 300, y: 260, wires: [['tt-report']] },
    ...report('tt-report', '"TRANSIENT " & payload.token', 260),
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, x: 100, y: 320, wires: [['caught']] },
    ...report('caught', '"CAUGHT " & error.message', 320),
  ];

  before(async () => {
    await standIn.start();
    installIntoUserDir(userDir, packRepo(work));
    nodeRed = await startNodeRed({ userDir, settings: { credentialSecret: 'e2e secret' } });
  });
  after(async () => {
    await nodeRed?.stop();
    await standIn.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('loads the six node types from the installed package', async () => {
    const response = await nodeRed.admin('GET', '/nodes', undefined, { Accept: 'application/json' });
    const sets = (await response.json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
    const ours = sets.filter((set) => set.module === '@plexauth/node-red-plex-auth');
    assert.deepEqual(ours.flatMap((set) => set.types).sort(), ['plex-account', 'plex-pin', 'plex-poll-token', 'plex-server', 'plex-source-info', 'plex-transient-token']);
    assert.ok(ours.every((set) => set.enabled && !set.err), JSON.stringify(ours));
    assert.ok(fs.realpathSync(path.join(userDir, 'node_modules', '@plexauth', 'node-red-plex-auth')).startsWith(userDir), 'installed, not linked');
  });

  it('runs the PIN flow to a stored token, which a server node then uses, also after a restart', async () => {
    await nodeRed.deploy(flows());
    await nodeRed.inject('go');
    const [, id] = await waitForLog(nodeRed, /PIN (\d+) \S{25}/);
    await waitForLog(nodeRed, new RegExp(`APPROVED ${id} stored=true`));
    const token = standIn.pins.get(Number(id))!.authToken!;
    assert.ok(token);

    await nodeRed.inject('transient');
    await waitForLog(nodeRed, /TRANSIENT transient-\w+/);
    const serverCall = standIn.requests.filter((r) => r.path.startsWith('/security/token')).pop()!;
    assert.equal(serverCall.headers['x-plex-token'], token, 'the server got the stored account token');

    // A restart before any new Deploy: the token must still be there, sealed on disk.
    await nodeRed.stop();
    for (const file of filesUnder(userDir)) assert.ok(!fs.readFileSync(file).includes(token), `${file} holds the token in clear text`);
    nodeRed = await startNodeRed({ userDir, settings: { credentialSecret: 'e2e secret' } });
    const before = standIn.requests.length;
    await nodeRed.inject('transient');
    await waitForLog(nodeRed, /TRANSIENT transient-\w+/);
    const afterRestart = standIn.requests.slice(before).filter((r) => r.path.startsWith('/security/token')).pop()!;
    assert.equal(afterRestart.headers['x-plex-token'], token);

    // A Deploy writes it into flows_cred.json, encrypted; never into flows.json or an export.
    await nodeRed.deploy(flows());
    const credFile = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');
    assert.match(credFile, /"\$":/, 'flows_cred.json is encrypted');
    assert.ok(!credFile.includes(token));
    assert.ok(!fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8').includes(token));
    const exported = await (await nodeRed.admin('GET', '/flows')).text();
    assert.ok(!exported.includes(token), 'not in an export');
    assert.ok(!nodeRed.output().includes(token), 'not in the log');
    assert.ok(!/CAUGHT/.test(nodeRed.output()), 'no errors');
  });
});
