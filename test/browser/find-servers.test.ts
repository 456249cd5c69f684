/** "Find servers" in the plex-server dialog, in headless Chromium against a real node-red. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PlexStandIn, type StandInServer } from '../../dev/plex-stand-in';
import { repoRoot, type NodeRed } from '../../dev/node-red-process';
import { delay } from '../support';
import { PASSWORD, startWithPackage } from '../admin/setup';
import { openEditor } from './editor-page';

const ACCOUNT_TOKEN = 'SECRET-BROWSER-ACCOUNT-TOKEN-91e2';

describe('Find servers in the plex-server dialog, in headless Chromium', () => {
  const standIn = new PlexStandIn();
  let shared: StandInServer;
  let red: NodeRed;
  let browser: Browser;
  let page: Page;
  /** Everything the browser received: HTTP bodies and websocket frames. */
  let received: string[];

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    ({ shared } = await standIn.addDemoServers());
    red = await startWithPackage();
    await red.login('admin', PASSWORD);
    await red.deploy([
      { id: 'tab1', type: 'tab', label: 'Plex' },
      { id: 'acct', type: 'plex-account', name: 'My Plex', clientIdentifier: 'find-servers-client', product: 'Node-RED', deviceName: 'Test', plexTvUrl: standIn.url, credentials: { token: ACCOUNT_TOKEN } },
      { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 100, wires: [['tt']] },
      { id: 'tt', type: 'plex-transient-token', z: 'tab1', server: '', x: 300, y: 100, wires: [] },
    ]);
    ({ browser, page, received } = await openEditor(red, '.red-ui-palette-node[data-palette-type="plex-servers"]'));
  });
  after(async () => {
    await browser?.close();
    await red?.stop();
    await standIn.stopServers();
    await standIn.stop();
  });

  it("lists the account's servers, and picking a shared one fills the dialog while its token stays in Node-RED", async () => {
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('tt')));
    await page.click('#node-input-btn-server-add');
    await page.waitForSelector('#plex-server-find', { state: 'visible' });
    await page.selectOption('#node-config-input-account', 'acct');
    await page.click('#plex-server-find');
    await page.waitForSelector('#plex-server-list tr >> nth=1', { timeout: 20_000 }).catch(async (error) => {
      throw new Error(`${error}; status: ${await page.textContent('#plex-server-find-status')}`);
    });
    const rows = await page.locator('#plex-server-list tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td: any) => td).slice(0, 4).map((td: any) => td.textContent)));
    assert.deepEqual(rows, [['Living Room', 'yours', 'online', '1.41.3.9314'], ["Anna's Server", 'anna', 'online', '1.41.3.9314']]);
    fs.mkdirSync(path.join(repoRoot, 'test-artifacts'), { recursive: true }); // docs/images/find-servers.png is copied from here
    await page.locator('.red-ui-tray').last().screenshot({ path: path.join(repoRoot, 'test-artifacts', 'find-servers.png') });

    await page.click(`#plex-server-list button[data-machine-identifier="${shared.standIn.machineIdentifier}"]`);
    await page.waitForFunction(() => /answers at/.test(document.querySelector('#plex-server-find-status')?.textContent ?? ''), undefined, { timeout: 20_000 })
      .catch(async (error) => {
        throw new Error(`${error}; status: ${await page.textContent('#plex-server-find-status')}`);
      });
    const remote = (shared.device() as any).connections.find((c: any) => !c.local).uri;
    assert.equal(await page.inputValue('#node-config-input-url'), remote, 'the best connection that answers (a shared server: no local one)');
    assert.equal(await page.inputValue('#node-config-input-machineIdentifier'), shared.standIn.machineIdentifier);
    assert.equal(await page.inputValue('#node-config-input-name'), "Anna's Server");

    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    const before = (red.output().match(/Started flows/g) ?? []).length;
    await page.click('#red-ui-header-button-deploy');
    const confirm = page.getByRole('button', { name: 'Confirm deploy' });
    if (await confirm.waitFor({ timeout: 3000 }).then(() => true, () => false)) await confirm.click();
    const until = Date.now() + 20_000;
    while ((red.output().match(/Started flows/g) ?? []).length <= before) {
      if (Date.now() > until) await page.screenshot({ path: path.join(repoRoot, 'test-artifacts', 'find-servers-deploy.png') });
      assert.ok(Date.now() < until, 'deploy did not start the flows');
      await delay(100);
    }

    // The deployed server calls the shared server with that server's own token.
    const seen = shared.standIn.requests.length;
    await red.inject('go');
    const until2 = Date.now() + 10_000;
    while (!shared.standIn.requests.slice(seen).some((r) => r.path.startsWith('/security/token'))) {
      assert.ok(Date.now() < until2, `no call reached the shared server: ${red.output().slice(-1500)}`);
      await delay(100);
    }
    const call = shared.standIn.requests.slice(seen).find((r) => r.path.startsWith('/security/token'))!;
    assert.equal(call.headers['x-plex-token'], shared.accessToken);
    assert.ok(!received.some((body) => body.includes(shared.accessToken) || body.includes(ACCOUNT_TOKEN)), 'no token reached the browser');
    const credentials = fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8');
    assert.ok(!credentials.includes(shared.accessToken), 'flows_cred.json is encrypted');
  });
});
