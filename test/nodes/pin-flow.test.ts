import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { allNodes, nextEvent } from '../support';

helper.init(require.resolve('node-red'));

describe('PIN flow: plex-pin to plex-poll-token', () => {
  const standIn = new PlexStandIn({ approveAfterPolls: 2 });
  before(async () => {
    await standIn.start();
    await new Promise<void>((resolve) => helper.startServer(resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => helper.stopServer(resolve));
    await standIn.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('makes a strong PIN and delivers the token once it is approved', async () => {
    const flow = [
      { id: 'acct', type: 'plex-account', clientIdentifier: 'client-1', product: 'Node-RED', deviceName: 'Test', plexTvUrl: standIn.url },
      { id: 'pin', type: 'plex-pin', account: 'acct', strong: true, forwardUrl: '', wires: [['poll', 'pinOut']] },
      { id: 'poll', type: 'plex-poll-token', account: 'acct', interval: 1, timeout: 0, store: false, wires: [['approved'], ['ended']] },
      { id: 'pinOut', type: 'helper' },
      { id: 'approved', type: 'helper' },
      { id: 'ended', type: 'helper' },
    ];
    await helper.load(allNodes, flow);
    const pinMsg = nextEvent<any>((cb) => helper.getNode('pinOut').on('input', cb), 5000, 'PIN');
    const tokenMsg = nextEvent<any>((cb) => helper.getNode('approved').on('input', cb), 8000, 'approval');
    helper.getNode('pin').receive({ payload: 'go' });
    const { payload: pin } = await pinMsg;
    assert.equal(pin.strong, true);
    assert.equal(pin.code.length, 25);
    assert.equal(pin.clientIdentifier, 'client-1');
    assert.match(pin.authUrl, /^https:\/\/app\.plex\.tv\/auth#\?clientID=client-1&code=/);
    const { payload } = await tokenMsg;
    assert.equal(payload.id, pin.id);
    assert.equal(payload.authToken, standIn.pins.get(pin.id)!.authToken);
    assert.equal(payload.clientIdentifier, 'client-1');
  });
});
