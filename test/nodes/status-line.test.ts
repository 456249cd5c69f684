/** Status under a flow node: on change only, a few a second at most, and always the latest in the end. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { helper, startRuntime, stopRuntime, loadUnderTest, ACCOUNT_TOKEN } from './harness';
import { delay } from '../support';

describe('the status of a busy flow node', () => {
  const standIn = new PlexStandIn();
  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    await startRuntime();
  });
  after(async () => {
    await helper.unload();
    await stopRuntime();
    await standIn.stop();
  });

  it('200 msgs at once: a handful of status updates (each goes to every open editor), ending on the result', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' });
    const statuses: Array<{ text?: string }> = [];
    (helper.getNode('under') as any).on('call:status', (call: { args: [{ text?: string }] }) => statuses.push(call.args[0]));
    let answered = 0;
    const all = new Promise<void>((resolve) => helper.getNode('out0').on('input', () => ++answered === 200 && resolve()));
    for (let n = 0; n < 200; n++) helper.getNode('under').receive({ n });
    await all;
    await delay(300);
    assert.ok(statuses.length < 20, `${statuses.length} updates for 200 msgs (there were 400)`);
    assert.match(String(statuses.at(-1)?.text), /token-ready/);
  });
});
