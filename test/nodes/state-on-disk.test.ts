/**
 * The sealed runtime state on a disk that refuses it: `.plex-auth` not a directory, a full
 * disk (ENOSPC, through /dev/full). The write used to throw from a timer, which ends
 * Node-RED; now the state is kept in memory, a warning says so once, and the write is
 * tried again until the disk allows it.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { helper, startRuntime, stopRuntime, loggedText } from './harness';
import { advance, advanceUntilSettled, allNodes, mockedClock, nextEvent } from '../support';

/** In tests RED._ gives the catalog key: these are the warning and the notice of the write done later. */
/** The retry after a failed write comes 5 s later (on the mocked clock). */
const RETRY_WAIT_MS = 5000;

describe('plex-poll-token with store on, when the state cannot be written', () => {
  const standIn = new PlexStandIn();
  let userDir = '';

  before(async () => {
    await standIn.start();
    await startRuntime();
  });
  // The gathered write (100 ms), its retry (5 s) and the polls run on a mocked clock.
  mockedClock();
  after(async () => {
    await stopRuntime();
    await standIn.stop();
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function loadIn(dir: string): Promise<void> {
    userDir = dir;
    helper.settings({ userDir: dir });
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'acct', type: 'plex-account', clientIdentifier: `disk-${path.basename(dir)}`, product: 'p', deviceName: 'd', plexTvUrl: standIn.url },
      { id: 'poll', type: 'plex-poll-token', z: 'tab', account: 'acct', interval: 1, timeout: 0, store: true, x: 1, y: 1, wires: [['approved'], ['ended']] },
      { id: 'approved', type: 'helper', z: 'tab', x: 1, y: 1 },
      { id: 'ended', type: 'helper', z: 'tab', x: 1, y: 1 },
    ];
    await helper.load(allNodes, flow);
  }

  /** Made in the stand-in, not through fetch: see mockedClock. */
  const newPin = (clientIdentifier: string): number => standIn.newPin({ clientIdentifier, product: 'p', strong: true }).id;

  /** Sends a PIN, lets the state write fail, approves it: the token still comes out, stored. */
  async function approvedDespiteTheDisk(): Promise<void> {
    const id = newPin(`disk-${path.basename(userDir)}`);
    helper.getNode('poll').receive({ payload: { id } });
    await advance(400); // the gathered write runs 100 ms after the change, and fails
    assert.match(loggedText(), /state\.write-failed/);
    const approved = nextEvent<any>((resolve) => helper.getNode('approved').on('input', resolve), 8000, 'approval');
    standIn.approve(id);
    const msg = await advanceUntilSettled(approved);
    assert.equal(msg.payload.id, id);
    assert.equal(msg.payload.stored, true);
    assert.equal((helper.getNode('acct') as unknown as { account: { token(): string } }).account.token(), msg.payload.authToken, 'kept in memory');
  }

  it('.plex-auth is a file: warns once, keeps polling and storing in memory, and writes once the disk allows', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-disk-'));
    fs.writeFileSync(path.join(dir, '.plex-auth'), 'not a directory');
    await loadIn(dir);
    await approvedDespiteTheDisk();
    assert.equal(loggedText().match(/state\.write-failed/g)?.length, 1, 'one warning, not one per try');

    fs.rmSync(path.join(dir, '.plex-auth'));
    await advance(RETRY_WAIT_MS);
    assert.ok(fs.existsSync(path.join(dir, '.plex-auth', 'state.sealed.json')), 'written on a later try');
    assert.match(loggedText(), /state\.written/);
  });

  it('a full disk (ENOSPC): the same, and no temporary file is left behind', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-disk-'));
    const stateDir = path.join(dir, '.plex-auth');
    fs.mkdirSync(stateDir);
    fs.writeFileSync(path.join(stateDir, 'secret'), 'a key of our own');
    // The atomic write goes through this temporary file: /dev/full answers every write with ENOSPC.
    fs.symlinkSync('/dev/full', path.join(stateDir, `state.sealed.json.${process.pid}.tmp`));
    await loadIn(dir);
    await approvedDespiteTheDisk();
    assert.deepEqual(
      fs.readdirSync(stateDir).filter((file) => file.endsWith('.tmp')),
      [],
      'the failed temporary file is removed',
    );

    await advance(RETRY_WAIT_MS);
    assert.ok(fs.existsSync(path.join(stateDir, 'state.sealed.json')), 'written on a later try');
  });
});
