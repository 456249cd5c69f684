/** plex-transient-token with `reuse` on: one server call for many msgs, each with its own copy. */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { Reusable, type TransientToken } from '../../src/core';
import { helper, startRuntime, stopRuntime, loadUnderTest, outcome, ACCOUNT_TOKEN } from './harness';
import { allNodes, delay } from '../support';

describe('plex-transient-token with reuse', () => {
  const standIn = new PlexStandIn();
  const calls = () => standIn.requests.filter((r) => r.path.startsWith('/security/token')).length;
  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stop();
  });
  afterEach(async () => {
    standIn.clearFaults();
    standIn.requests.length = 0;
    await helper.unload();
  });

  it('sends the kept token again, one server call for many msgs, each msg with its own copy', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv', reuse: true });
    const first = await outcome({ topic: 'a' });
    const second = await outcome({ topic: 'b' });
    assert.ok('port' in first && 'port' in second);
    assert.equal(calls(), 1);
    assert.deepEqual(second.msg.payload, first.msg.payload);
    assert.notEqual(second.msg.payload, first.msg.payload, 'not one shared object');
    first.msg.payload.token = 'changed by a flow';
    const third = await outcome({});
    assert.ok('port' in third);
    assert.match(third.msg.payload.token, /^transient-/, 'a flow changing its copy changes no other');
  });

  it('asks the server once for msgs that arrive together, and every one of them is answered', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv', reuse: true });
    const answered: string[] = [];
    const all = new Promise<void>((resolve) =>
      helper.getNode('out0').on('input', (msg: any) => {
        answered.push(msg.payload.token);
        if (answered.length === 20) resolve();
      }),
    );
    for (let n = 0; n < 20; n++) helper.getNode('under').receive({ n });
    await all;
    assert.equal(calls(), 1);
    assert.equal(new Set(answered).size, 1);
  });

  it('without reuse (the default) asks once per msg, as before', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv' });
    await outcome({});
    await outcome({});
    assert.equal(calls(), 2);
  });

  it('keeps no failure: after a 503 the next msg asks again', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv', reuse: true });
    standIn.fail(/\/security\/token/, { status: 503, body: '<html><title>busy</title></html>', contentType: 'text/html' });
    const failed = await outcome({});
    assert.ok('error' in failed);
    assert.equal(failed.error.code, 'PLEX_HTTP');
    const next = await outcome({});
    assert.ok('port' in next);
    assert.equal(calls(), 2);
  });

  it('asks again once the account holds another token (a token made with the old one is not handed out)', async () => {
    const newToken = standIn.addAccount('owner again');
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv', reuse: true });
    await outcome({});
    (helper.getNode('acct') as unknown as { account: { signIn(token: string): void } }).account.signIn(newToken);
    await outcome({});
    assert.equal(calls(), 2);
    assert.equal(standIn.requests.at(-1)!.headers['x-plex-token'], newToken);
  });

  it('shares the kept token between the nodes of one server', async () => {
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'acct', type: 'plex-account', clientIdentifier: 'reuse', product: 'p', deviceName: 'd', plexTvUrl: standIn.url },
      { id: 'srv', type: 'plex-server', url: standIn.url, account: 'acct', tls: '' },
      { id: 'one', type: 'plex-transient-token', z: 'tab', server: 'srv', reuse: true, x: 1, y: 1, wires: [['out']] },
      { id: 'two', type: 'plex-transient-token', z: 'tab', server: 'srv', reuse: true, x: 1, y: 1, wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab', x: 1, y: 1 },
    ];
    await helper.load(allNodes, flow, { acct: { token: ACCOUNT_TOKEN } });
    const tokens: string[] = [];
    const both = new Promise<void>((resolve) => helper.getNode('out').on('input', (msg: any) => tokens.push(msg.payload.token) === 2 && resolve()));
    helper.getNode('one').receive({});
    await delay(100);
    helper.getNode('two').receive({});
    await both;
    assert.equal(tokens[0], tokens[1]);
    assert.equal(calls(), 1);
  });

  it('a node closed while it waits for the shared call sends nothing, and no error', async () => {
    await loadUnderTest(standIn, 'plex-transient-token', { server: 'srv', reuse: true });
    standIn.fail(/\/security\/token/, { hang: true });
    let heard = 0;
    helper.getNode('out0').on('input', () => heard++);
    helper.getNode('caught').on('input', () => heard++);
    helper.getNode('under').receive({});
    await delay(100);
    await helper.unload();
    await delay(200);
    assert.equal(heard, 0);
  });
});

describe('Reusable', () => {
  const token = (hoursLeft: number): TransientToken => ({ token: `t-${hoursLeft}`, expiresAt: new Date(Date.now() + hoursLeft * 3600_000).toISOString() });

  it('fetches anew once the kept value has no more than the minimum left', async () => {
    const reusable = new Reusable<TransientToken>(3600_000);
    let fetched = 0;
    const fetch = (hours: number) => async () => {
      fetched += 1;
      return { value: token(hours), warnings: ['drift'] };
    };
    const first = await reusable.get('k', fetch(0.5)); // half an hour left: not worth keeping
    assert.deepEqual(first.warnings, ['drift'], 'the call that fetched gets the warnings');
    await reusable.get('k', fetch(48));
    const kept = await reusable.get('k', fetch(48));
    assert.equal(fetched, 2);
    assert.deepEqual(kept.warnings, [], 'a kept value repeats no warning');
    await reusable.get('other key', fetch(48));
    assert.equal(fetched, 3);
  });
});
