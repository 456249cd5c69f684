/**
 * A plex-server whose server moved, in a real node-red: it finds the server through the
 * account, warns naming the new address, and keeps using it after a restart without
 * changing the deployed configuration.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlexStandIn, type StandInServer } from '../../dev/plex-stand-in';
import { linkRepoIntoUserDir, startNodeRed, type NodeRed } from '../../dev/node-red-process';
import { waitForLog } from '../../dev/flow-check';

const ACCOUNT_TOKEN = 'SECRET-RESTART-ACCOUNT-TOKEN-5c1d';

function flows(standInUrl: string, serverUrl: string, machineIdentifier: string): unknown[] {
  return [
    { id: 'tab', type: 'tab', label: 'moved' },
    {
      id: 'acct',
      type: 'plex-account',
      name: 'moved',
      clientIdentifier: 'moved-client',
      product: 'Node-RED',
      deviceName: 'moved',
      plexTvUrl: standInUrl,
      credentials: { token: ACCOUNT_TOKEN },
    },
    { id: 'srv', type: 'plex-server', name: 'followed', url: serverUrl, account: 'acct', tls: '', machineIdentifier },
    { id: 'go', type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 100, wires: [['tt']] },
    { id: 'tt', type: 'plex-transient-token', z: 'tab', server: 'srv', x: 300, y: 100, wires: [['ok']] },
    {
      id: 'ok',
      type: 'change',
      z: 'tab',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '"TRANSIENT " & $substring(payload.token, 0, 10)', tot: 'jsonata' }],
      x: 500,
      y: 100,
      wires: [['ok-log']],
    },
    { id: 'ok-log', type: 'debug', z: 'tab', active: true, tosidebar: false, console: true, complete: 'payload', targetType: 'msg', x: 700, y: 100, wires: [] },
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, x: 100, y: 200, wires: [['caught']] },
    {
      id: 'caught',
      type: 'change',
      z: 'tab',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '"CAUGHT " & error.message', tot: 'jsonata' }],
      x: 300,
      y: 200,
      wires: [['caught-log']],
    },
    {
      id: 'caught-log',
      type: 'debug',
      z: 'tab',
      active: true,
      tosidebar: false,
      console: true,
      complete: 'payload',
      targetType: 'msg',
      x: 500,
      y: 200,
      wires: [],
    },
  ];
}

describe('a plex-server whose server moved, in a real node-red', () => {
  const standIn = new PlexStandIn();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-moved-'));
  let server: StandInServer;
  let nodeRed: NodeRed;
  const start = () => startNodeRed({ userDir, settings: { credentialSecret: 'moved secret' } });

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    ({ owned: server } = await standIn.addDemoServers());
    linkRepoIntoUserDir(userDir);
    nodeRed = await start();
  });
  after(async () => {
    await nodeRed?.stop();
    await standIn.stopServers();
    await standIn.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function call(): Promise<void> {
    const from = nodeRed.output().length;
    await nodeRed.inject('go');
    await waitForLog(nodeRed, /TRANSIENT transient-|CAUGHT/, 20_000, from);
    assert.doesNotMatch(nodeRed.output().slice(from), /CAUGHT/, nodeRed.output().slice(from));
  }

  it('follows the server to its new address, warns naming it, and keeps it after a restart', async () => {
    const configuredUrl = server.standIn.url;
    await nodeRed.deploy(flows(standIn.url, configuredUrl, server.standIn.machineIdentifier));
    await call();

    await standIn.moveServer(server.standIn.machineIdentifier);
    const newUrl = server.standIn.url;
    const from = nodeRed.output().length;
    await call();
    const warning = await waitForLog(nodeRed, /\[warn\] \[plex-server:followed\] (.*)/, 5000, from);
    assert.ok(warning[1].includes(configuredUrl) && warning[1].includes(newUrl), warning[1]);

    await nodeRed.stop();
    const savedFlows = fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8');
    assert.ok(savedFlows.includes(configuredUrl) && !savedFlows.includes(newUrl), 'the deployed configuration is unchanged');
    for (const file of fs.readdirSync(path.join(userDir, '.plex-auth'))) {
      const text = fs.readFileSync(path.join(userDir, '.plex-auth', file), 'utf8');
      assert.ok(!text.includes(newUrl) && !text.includes(ACCOUNT_TOKEN), `${file} is sealed`);
    }

    nodeRed = await start();
    const seen = server.standIn.requests.length;
    const afterRestart = nodeRed.output().length;
    await call();
    const paths = server.standIn.requests.slice(seen).map((request) => request.path);
    assert.ok(paths[0].startsWith('/security/token'), `went straight to the address found before: ${paths.join(', ')}`);
    assert.doesNotMatch(nodeRed.output().slice(afterRestart), /\[plex-server:followed\]/, 'no second warning');
  });
});
