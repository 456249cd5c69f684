/**
 * What a careless user or a hostile reviewer does to a running Node-RED, in a real `node-red`
 * process: delete the account while a PIN waits, deploy a plex.tv URL the runtime refuses,
 * restart in the middle, Stop/Start flows after a sign-in, set a credentialSecret later.
 * Node-RED must stay up, every waiting msg must get an outcome, and no token may be lost.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { repoRoot, startNodeRed, type NodeRed } from '../../dev/node-red-process';
import { checkFlows, runPinFlow, runTransientToken, waitForLog } from '../../dev/flow-check';
import { delay } from '../support';

/** A user directory with this package linked in as an installed module. */
function userDirWithPackage(): string {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-hostile-'));
  const scope = path.join(userDir, 'node_modules', '@plexauth');
  fs.mkdirSync(scope, { recursive: true });
  fs.symlinkSync(repoRoot, path.join(scope, 'node-red-plex-auth'), 'dir');
  return userDir;
}

/** checkFlows with the account node changed (or gone, for `null`). */
function flowsWithAccount(standInUrl: string, change: Record<string, unknown> | null): Record<string, unknown>[] {
  const flows = checkFlows(standInUrl);
  if (change === null) return flows.filter((node) => node.id !== 'acct');
  return flows.map((node) => (node.id === 'acct' ? { ...node, ...change } : node));
}

/** Presses the PIN button and returns the PIN id, without approving it. */
async function pendingPin(red: NodeRed): Promise<number> {
  const from = red.output().length;
  await red.inject('go');
  const [, id] = await waitForLog(red, /PIN (\d+) \S{25}/, 20_000, from);
  return Number(id);
}

function assertAlive(red: NodeRed): void {
  assert.equal(red.process.exitCode, null, `node-red exited:\n${red.output().slice(-3000)}`);
  assert.doesNotMatch(red.output(), /uncaught|unhandled/i);
}

describe('a PIN waiting while its account goes away, in a real node-red', () => {
  const standIn = new PlexStandIn();
  const userDir = userDirWithPackage();
  let red: NodeRed;
  const start = () => startNodeRed({ userDir, settings: { credentialSecret: 'hostile secret' } });

  before(async () => {
    await standIn.start();
    red = await start();
  });
  after(async () => {
    await red?.stop();
    await standIn.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('deleting the account ends the waiting msg with an error for Catch nodes; Node-RED stays up', async () => {
    await red.deploy(checkFlows(standIn.url));
    await pendingPin(red);
    const from = red.output().length;
    await red.deploy(flowsWithAccount(standIn.url, null));
    await waitForLog(red, /CAUGHT .*No Plex account is set/, 20_000, from);
    await delay(1500); // real time: a crash came within a poll interval
    assertAlive(red);
  });

  it('a plex.tv URL the runtime refuses (https://me:pw@…), deployed or found after a restart, ends the PIN the same way, once', async () => {
    await red.deploy(checkFlows(standIn.url));
    await pendingPin(red);
    let from = red.output().length;
    await red.deploy(flowsWithAccount(standIn.url, { plexTvUrl: 'https://me:pw@plex.tv' }));
    await waitForLog(red, /CAUGHT .*plex\.tv URL must not contain a user name or password/, 20_000, from);
    assertAlive(red);

    // The same while Node-RED is down: the PIN is resumed from the sealed state at the start.
    await red.deploy(checkFlows(standIn.url));
    await pendingPin(red);
    await red.stop();
    const flowFile = path.join(userDir, 'flows.json');
    const flows = JSON.parse(fs.readFileSync(flowFile, 'utf8')) as Record<string, unknown>[];
    fs.writeFileSync(flowFile, JSON.stringify(flows.map((node) => (node.id === 'acct' ? { ...node, plexTvUrl: 'https://me:pw@plex.tv' } : node))));
    red = await start();
    await waitForLog(red, /CAUGHT .*plex\.tv URL must not contain/);
    await delay(1500);
    assertAlive(red);

    // And the next start has nothing left to choke on: no crash loop.
    await red.stop();
    red = await start();
    from = red.output().length;
    await delay(1500);
    assertAlive(red);
    assert.doesNotMatch(red.output().slice(from), /CAUGHT/);
  });
});

describe('a token stored at runtime, through Stop/Start flows and a restart, in a real node-red', () => {
  const standIn = new PlexStandIn({ approveAfterPolls: 2 });
  const userDir = userDirWithPackage();
  let red: NodeRed;
  const start = () => startNodeRed({ userDir, settings: { credentialSecret: 'stop start secret', runtimeState: { enabled: true } } });

  before(async () => {
    await standIn.start();
    red = await start();
  });
  after(async () => {
    await red?.stop();
    await standIn.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('is still the account token after Stop flows, Start flows and a restart with no Deploy between', async () => {
    await red.deploy(checkFlows(standIn.url));
    const token = await runPinFlow(red, standIn);
    assert.equal(await runTransientToken(red, standIn), token);

    await red.setFlowState('stop');
    await red.setFlowState('start');
    await waitForLog(red, /Started flows[\s\S]*Started flows[\s\S]*Started flows/);
    assert.equal(await runTransientToken(red, standIn), token, 'after Stop/Start');

    await red.stop();
    red = await start();
    assert.equal(await runTransientToken(red, standIn), token, 'after the restart');
  });
});

describe('credentialSecret set after the state was sealed with the generated key, in a real node-red', () => {
  const standIn = new PlexStandIn();
  const userDir = userDirWithPackage();
  let red: NodeRed;

  before(() => standIn.start());
  after(async () => {
    await red?.stop();
    await standIn.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('takes the waiting PIN over to the new key: it is approved after the restart, and the old key file is gone', async () => {
    red = await startNodeRed({ userDir });
    await red.deploy(checkFlows(standIn.url));
    const id = await pendingPin(red);
    await red.stop();
    assert.ok(fs.existsSync(path.join(userDir, '.plex-auth', 'secret')), 'sealed with our own key file');

    red = await startNodeRed({ userDir, settings: { credentialSecret: 'set later' } });
    standIn.approve(id);
    await waitForLog(red, new RegExp(`APPROVED ${id} stored=true`));
    assertAlive(red);
    const oldKey = path.join(userDir, '.plex-auth', 'secret');
    for (let waited = 0; fs.existsSync(oldKey) && waited < 5000; waited += 50) await delay(50); // the migrated state's write is gathered
    assert.equal(fs.existsSync(oldKey), false, 'the old key is not kept once the state is sealed with the new one');
  });

  it('a state sealed with a key no longer known (credentialSecret changed) is set aside with a warning, not dropped silently', async () => {
    await red.deploy(checkFlows(standIn.url));
    await pendingPin(red);
    await red.stop();
    red = await startNodeRed({ userDir, settings: { credentialSecret: 'changed again' } });
    await waitForLog(red, /was sealed with another key \(was credentialSecret changed\?\)/);
    const aside = fs.readdirSync(path.join(userDir, '.plex-auth')).filter((file) => file.includes('unreadable'));
    assert.equal(aside.length, 1, 'kept for a change back');
    assertAlive(red);
  });
});
