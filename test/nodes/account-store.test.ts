/**
 * What a plex-account keeps across a restart between two Deploys: the runtime's sign-ins (sealed)
 * against the credentials Node-RED gives the node. Restarts are played by loading the flow again
 * with the credentials flows_cred.json would hold; the sealed state lives on in the runtime.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { helper, startRuntime, stopRuntime, stateOfRuntime } from './harness';
import { allNodes, nextEvent } from '../support';

function flow(standIn: PlexStandIn) {
  return [
    { id: 'tab', type: 'tab', label: 'store' },
    { id: 'acct', type: 'plex-account', name: 'kept', clientIdentifier: 'store-client', product: 'Node-RED', deviceName: 'Test', plexTvUrl: standIn.url },
    { id: 'pin', z: 'tab', type: 'plex-pin', account: 'acct', strong: false, forwardUrl: '', x: 100, y: 100, wires: [['poll']] },
    { id: 'poll', z: 'tab', type: 'plex-poll-token', account: 'acct', interval: 1, timeout: 0, store: true, x: 300, y: 100, wires: [['out'], ['out']] },
    { id: 'out', z: 'tab', type: 'helper', x: 500, y: 100 },
  ];
}

describe('a plex-account across restarts without a Deploy', () => {
  const standIn = new PlexStandIn({ approveAfterPolls: 1 });
  const account = () => (helper.getNode('acct') as any).account;
  const restart = async (token: string) => {
    await helper.unload();
    await helper.load(allNodes, flow(standIn), { acct: { token } });
    await account().ready;
  };
  /** Signs in once through plex-pin → plex-poll-token (store on); resolves with the new token. */
  const signIn = async (): Promise<string> => {
    const approved = nextEvent<any>((resolve) => helper.getNode('out').once('input', resolve), 8000, 'a sign-in');
    helper.getNode('pin').receive({ payload: 'go' });
    return (await approved).payload.authToken;
  };

  before(async () => {
    await standIn.start();
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stop();
  });
  afterEach(async () => {
    await helper.unload();
    stateOfRuntime().setAccount('acct', undefined);
  });

  it('keeps the tenth sign-in since the last Deploy, not the token deployed before the first', async () => {
    const deployed = standIn.addAccount('deployed-user');
    await restart(deployed);
    let latest = deployed;
    for (let i = 0; i < 10; i++) latest = await signIn();
    assert.notEqual(latest, deployed);
    await restart(deployed);
    assert.equal(account().token(), latest);
  });

  it("a token the user deployed since (an import, a restored backup) wins over the runtime's", async () => {
    await restart(standIn.addAccount('deployed-user'));
    await signIn();
    const imported = standIn.addAccount('imported-user');
    await restart(imported);
    assert.equal(account().token(), imported);
    assert.equal(stateOfRuntime().account('acct'), undefined, "the runtime's record is dropped");
  });

  it('a sign-out stays signed out across a restart', async () => {
    const deployed = standIn.addAccount('deployed-user');
    await restart(deployed);
    await signIn();
    account().signOut();
    await restart(deployed);
    assert.equal(account().token(), undefined);
  });
});
