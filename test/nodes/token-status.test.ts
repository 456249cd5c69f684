/**
 * A node shows the state of its token from deploy on, before any msg: a yellow "not signed in"
 * ring while its account has no token (not for plex-pin and plex-poll-token, which are how it
 * gets one), cleared by a sign-in; a server with a token of its own is always signed in.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { helper, startRuntime, stopRuntime } from './harness';
import { allNodes } from '../support';

function flow(standIn: PlexStandIn) {
  const at = (id: string, y: number) => ({ id, z: 'tab', x: 100, y, wires: [[]] });
  return [
    { id: 'tab', type: 'tab', label: 'token status' },
    { id: 'acct', type: 'plex-account', clientIdentifier: 'status-client', product: 'Node-RED', deviceName: 'Test', plexTvUrl: standIn.url },
    { id: 'srv', type: 'plex-server', url: standIn.url, account: 'acct', tls: '' },
    { id: 'own', type: 'plex-server', url: standIn.url, account: 'acct', tls: '' },
    { ...at('tt', 100), type: 'plex-transient-token', server: 'srv' },
    { ...at('link', 140), type: 'plex-link-code', account: 'acct' },
    { ...at('servers', 180), type: 'plex-servers', account: 'acct' },
    { ...at('pin', 220), type: 'plex-pin', account: 'acct', strong: true, forwardUrl: '' },
    { ...at('owntt', 260), type: 'plex-transient-token', server: 'own' },
  ];
}

describe('the token state under a node, from deploy on', () => {
  const standIn = new PlexStandIn();

  before(async () => {
    await standIn.start();
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stop();
  });
  afterEach(() => helper.unload());

  it('says "not signed in" without a msg, and clears it when the account signs in', async () => {
    // Statuses are recorded from the node's creation: the test helper's spies see every call.
    await helper.load(allNodes, flow(standIn), { own: { token: 'a-server-token-of-its-own' } });
    // The helper's status spy is shared by every node: each call's node is its thisValue.
    const lastStatusOf = (id: string) => {
      const node = helper.getNode(id) as any;
      const calls = node.status.getCalls().filter((call: { thisValue: unknown }) => call.thisValue === node);
      return calls.at(-1)?.args[0] as { fill?: string; shape?: string; text?: string } | undefined;
    };
    await (helper.getNode('acct') as any).account.ready;
    await new Promise((resolve) => setImmediate(resolve));
    for (const id of ['tt', 'link', 'servers']) {
      const status = lastStatusOf(id);
      assert.deepEqual([status?.fill, status?.shape], ['yellow', 'ring'], id);
      assert.match(status?.text ?? '', /status\.not-signed-in$/, id);
    }
    assert.equal(lastStatusOf('pin'), undefined, 'plex-pin is how an account signs in: nothing to say');
    assert.equal(lastStatusOf('owntt'), undefined, 'a server token of its own needs no sign-in');
    (helper.getNode('acct') as any).account.signIn(standIn.addAccount('someone'));
    for (const id of ['tt', 'link', 'servers']) assert.deepEqual(lastStatusOf(id), {}, `${id} cleared`);
  });
});
