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
import { checkFlows, runPinFlow, runTransientToken } from '../../dev/flow-check';
import { nodeTypes } from '../support';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !path.join(entry.parentPath, entry.name).includes(`${path.sep}node_modules${path.sep}`))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('the packed package in a real Node-RED', () => {
  const standIn = new PlexStandIn({ approveAfterPolls: 2 });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-e2e-'));
  const userDir = path.join(work, 'user');
  let nodeRed: NodeRed;

  const flows = () => checkFlows(standIn.url);

  before(async () => {
    await standIn.start();
    // Its dependencies as npm finds them in its cache when it can (5.4 → 2.2 s here), else online.
    installIntoUserDir(userDir, packRepo(work), ['--prefer-offline']);
    nodeRed = await startNodeRed({ userDir, settings: { credentialSecret: 'e2e secret' } });
  });
  after(async () => {
    await nodeRed?.stop();
    await standIn.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('loads every node type of package.json from the installed package', async () => {
    const response = await nodeRed.admin('GET', '/nodes', undefined, { Accept: 'application/json' });
    const sets = (await response.json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
    const ours = sets.filter((set) => set.module === '@plexauth/node-red-plex-auth');
    assert.deepEqual(ours.flatMap((set) => set.types).sort(), [...nodeTypes].sort());
    assert.ok(nodeTypes.includes('plex-events'));
    assert.ok(
      ours.every((set) => set.enabled && !set.err),
      JSON.stringify(ours),
    );
    assert.ok(fs.realpathSync(path.join(userDir, 'node_modules', '@plexauth', 'node-red-plex-auth')).startsWith(userDir), 'installed, not linked');
  });

  it('runs the PIN flow to a stored token, which a server node then uses, also after a restart', async () => {
    await nodeRed.deploy(flows());
    const token = await runPinFlow(nodeRed, standIn);
    assert.ok(token);
    assert.equal(await runTransientToken(nodeRed, standIn), token, 'the server got the stored account token');

    // A restart before any new Deploy: the token must still be there, sealed on disk.
    await nodeRed.stop();
    for (const file of filesUnder(userDir)) assert.ok(!fs.readFileSync(file).includes(token), `${file} holds the token in clear text`);
    nodeRed = await startNodeRed({ userDir, settings: { credentialSecret: 'e2e secret' } });
    assert.equal(await runTransientToken(nodeRed, standIn), token, 'the token is there after a restart');

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
