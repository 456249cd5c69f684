/**
 * plex-events in a real node-red, on the real clock and the real catalogs: the server restarts
 * (nothing answers for two seconds) while a movie plays and ends; the node warns once, comes
 * back by itself and reports the movie "stopped". Then the server refuses the token: the
 * warning names PLEX_TOKEN_REJECTED. No token in the log.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { linkRepoIntoUserDir, startNodeRed, type NodeRed } from '../../dev/node-red-process';
import { waitForLog } from '../../dev/flow-check';

const ACCOUNT_TOKEN = 'SECRET-EVENTS-RESTART-TOKEN-3a9c';

function flows(standInUrl: string): unknown[] {
  const report = (id: string, text: string, y: number) => [
    { id, type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: text, tot: 'jsonata' }], x: 400, y, wires: [[`${id}-log`]] },
    { id: `${id}-log`, type: 'debug', z: 'tab', active: true, tosidebar: false, console: true, complete: 'payload', targetType: 'msg', x: 600, y, wires: [] },
  ];
  return [
    { id: 'tab', type: 'tab', label: 'events' },
    {
      id: 'acct',
      type: 'plex-account',
      name: 'events',
      clientIdentifier: 'events-restart',
      product: 'Node-RED',
      deviceName: 'events',
      plexTvUrl: standInUrl,
      credentials: { token: ACCOUNT_TOKEN },
    },
    { id: 'srv', type: 'plex-server', name: 'restarting', url: standInUrl, account: 'acct', tls: '' },
    {
      id: 'events',
      type: 'plex-events',
      z: 'tab',
      name: 'living room',
      server: 'srv',
      events: 'playback',
      users: '',
      players: '',
      libraries: '',
      types: '',
      progress: 0,
      x: 150,
      y: 100,
      wires: [['event']],
    },
    ...report('event', '"EVENT " & topic & " " & payload.title & " " & payload.user.title', 100),
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, x: 150, y: 200, wires: [['caught']] },
    ...report('caught', '"CAUGHT " & error.message', 200),
  ];
}

describe('plex-events in a real node-red, across a server restart', () => {
  const standIn = new PlexStandIn();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-events-'));
  let nodeRed: NodeRed;

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    linkRepoIntoUserDir(userDir);
    nodeRed = await startNodeRed({ userDir, settings: { credentialSecret: 'events secret' } });
  });
  after(async () => {
    await nodeRed?.stop();
    await standIn.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('comes back by itself after the server restarts, reports the movie that ended meanwhile, and says when the token is refused', async () => {
    await nodeRed.deploy(flows(standIn.url));
    for (const until = Date.now() + 20_000; standIn.playback.sockets === 0; await new Promise((resolve) => setTimeout(resolve, 50))) {
      assert.ok(Date.now() < until, `never connected:\n${nodeRed.output().slice(-2000)}`);
    }
    const session = standIn.playback.play();
    await waitForLog(nodeRed, /EVENT playing Big Buck Bunny Alex/, 10_000);

    const from = nodeRed.output().length;
    const restarted = standIn.restart(2000);
    await waitForLog(
      nodeRed,
      /\[warn\] \[plex-events:living room\] The Plex server's notifications are not connected: .*\((PLEX_UNREACHABLE)\); trying again in \d+ s/,
      10_000,
      from,
    );
    standIn.playback.stop(session.sessionKey); // while nothing answers
    await restarted;
    await waitForLog(nodeRed, /EVENT stopped Big Buck Bunny Alex/, 30_000, from);
    const afterRestart = nodeRed.output().slice(from);
    assert.equal(
      afterRestart.match(/\[plex-events:living room\] The Plex server's notifications are not connected/g)?.length,
      1,
      'one warning for the outage, not one per try',
    );
    assert.equal(afterRestart.match(/EVENT /g)?.length, 1, 'the movie reported once');

    const refusedFrom = nodeRed.output().length;
    standIn.serverTokens.delete(ACCOUNT_TOKEN);
    standIn.playback.dropSockets();
    await waitForLog(nodeRed, /\[plex-events:living room\] .*answered 401 Unauthorized \(PLEX_TOKEN_REJECTED\); trying again in 120 s/, 20_000, refusedFrom);
    assert.ok(!nodeRed.output().includes(ACCOUNT_TOKEN), 'no token in the log');
    assert.doesNotMatch(nodeRed.output(), /CAUGHT|Unhandled|uncaught/i);
  });
});
