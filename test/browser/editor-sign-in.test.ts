import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createDecipheriv, createHash } from 'node:crypto';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { repoRoot, type NodeRed } from '../../dev/node-red-process';
import { delay } from '../support';
import { CREDENTIAL_SECRET, PASSWORD, startWithPackage } from '../admin/setup';
import { openEditor } from './editor-page';

const artifacts = path.join(repoRoot, 'test-artifacts');
const FLOW_NODES = ['plex-pin', 'plex-poll-token', 'plex-transient-token', 'plex-source-info', 'plex-link-code'];
const SERVER_NODES = ['plex-transient-token', 'plex-source-info'];

/** flows_cred.json decrypted as Node-RED does: aes-256-ctr, key sha256(credentialSecret), the first 32 hex characters the IV. */
function savedCredentials(userDir: string): Record<string, Record<string, string>> {
  const { $: sealed } = JSON.parse(fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8')) as { $: string };
  const key = createHash('sha256').update(CREDENTIAL_SECRET).digest();
  const decipher = createDecipheriv('aes-256-ctr', key, Buffer.from(sealed.slice(0, 32), 'hex'));
  return JSON.parse(decipher.update(sealed.slice(32), 'base64', 'utf8') + decipher.final('utf8'));
}

describe('the editor in headless Chromium: palette, dialogs, sign-in with Plex, deploy', () => {
  const standIn = new PlexStandIn();
  let red: NodeRed;
  let browser: Browser;
  let page: Page;
  /** Everything the browser received: HTTP bodies and websocket frames. */
  let received: string[];

  before(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    await standIn.start();
    red = await startWithPackage();
    ({ browser, page, received } = await openEditor(red, '.red-ui-palette-node[data-palette-type="plex-pin"]'));
  });
  /** Presses Deploy and waits until the flows have started again. */
  async function deploy(): Promise<void> {
    const before = (red.output().match(/Started flows/g) ?? []).length;
    await page.click('#red-ui-header-button-deploy');
    // The server nodes have no server yet: Node-RED asks whether to deploy anyway.
    const confirm = page.getByRole('button', { name: 'Confirm deploy' });
    if (await confirm.waitFor({ timeout: 3000 }).then(() => true, () => false)) await confirm.click();
    const until = Date.now() + 20_000;
    while ((red.output().match(/Started flows/g) ?? []).length <= before) {
      if (Date.now() > until) await page.screenshot({ path: path.join(artifacts, 'deploy-failure.png') });
      assert.ok(Date.now() < until, 'deploy did not start the flows');
      await delay(100);
    }
  }

  /** Opens the dialog of the plex-account that flow node n0 uses. */
  async function openAccountDialog(): Promise<void> {
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('n0')));
    await page.click('#node-input-btn-account-edit');
    await page.waitForSelector('#plex-account-signin', { state: 'visible' });
  }

  async function closeDialogs(): Promise<void> {
    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
  }

  const deployEnabled = () => page.locator('#red-ui-header-button-deploy').evaluate((el) => !el.classList.contains('disabled'));

  after(async () => {
    await browser?.close();
    await red?.stop();
    await standIn.stop();
  });

  it('shows the flow nodes in a "plex" palette category', async () => {
    for (const type of FLOW_NODES) {
      const category = await page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).evaluate((el) => el.closest('.red-ui-palette-category')?.id);
      assert.equal(category, 'red-ui-palette-container-plex', type);
    }
    await page.locator('#red-ui-palette-container-plex').screenshot({ path: path.join(artifacts, 'palette.png') });
  });

  it('opens each flow node dialog', async () => {
    await page.evaluate((types) => {
      const z = (window as any).RED.workspaces.active();
      (window as any).RED.view.importNodes(types.map((type: string, i: number) => ({ id: `n${i}`, type, x: 200, y: 80 + i * 60, z, wires: [] })));
    }, FLOW_NODES);
    for (let i = 0; i < FLOW_NODES.length; i += 1) {
      await page.evaluate((id) => (window as any).RED.editor.edit((window as any).RED.nodes.node(id)), `n${i}`);
      await page.waitForSelector(`#node-input-${SERVER_NODES.includes(FLOW_NODES[i]) ? 'server' : 'account'}`, { state: 'attached' });
      await page.click('#node-dialog-cancel');
      await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    }
  });

  it('signs in from a new plex-account dialog; the token is saved encrypted on Deploy and never reaches the browser', async () => {
    const started = Date.now();
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('n0')));
    await page.click('#node-input-btn-account-add');
    await page.waitForSelector('#plex-account-signin', { state: 'visible' });
    await page.fill('#node-config-input-name', 'My Plex');
    await page.click('#plex-account-advanced-toggle');
    await page.fill('#node-config-input-plexTvUrl', standIn.url);
    await page.click('#plex-account-signin');
    await page.waitForSelector('#plex-account-signin-pin', { state: 'visible' });
    const code = (await page.textContent('#plex-account-signin-code'))!.trim();
    assert.match(code, /^[A-Z0-9]{4}$/);
    assert.match((await page.getAttribute('#plex-account-signin-link', 'href'))!, /^https:\/\/app\.plex\.tv\/auth#\?clientID=/);
    assert.match((await page.getAttribute('#plex-account-signin-qr', 'src'))!, /^data:image\/svg\+xml;base64,/);
    const countdown1 = await page.textContent('#plex-account-signin-countdown');
    // The countdown runs: it changes within a second or so.
    await page.waitForFunction((first) => document.querySelector('#plex-account-signin-countdown')?.textContent !== first, countdown1, { timeout: 5000 });
    await page.locator('.red-ui-tray').last().screenshot({ path: path.join(artifacts, 'sign-in-dialog.png') });

    // Approve as the user would on plex.tv: the stand-in's /demo page.
    const pin = [...standIn.pins.values()].find((each) => each.strong && !each.authToken)!;
    await fetch(`${standIn.url}/demo/approve/${pin.id}`, { method: 'POST' });
    await page.waitForFunction(() => /Signed in as demo-user/.test(document.querySelector('#plex-account-signin-status')?.textContent ?? ''), undefined, { timeout: 20_000 })
      .catch(async (error) => {
        throw new Error(`${error}; status: ${await page.textContent('#plex-account-signin-status')}; ${red.output().slice(-2000)}; ${JSON.stringify(standIn.requests.slice(-5).map((r) => r.path))}`);
      });
    const token = standIn.pins.get(pin.id)!.authToken!;
    await page.locator('.red-ui-tray').last().screenshot({ path: path.join(artifacts, 'signed-in.png') });
    const signInSeconds = (Date.now() - started) / 1000;
    await page.click('#plex-account-check');
    await page.waitForFunction(() => /Token is valid: signed in as demo-user/.test(document.querySelector('#plex-account-signin-status')?.textContent ?? ''), undefined, { timeout: 20_000 });

    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    await deploy();

    const flows = fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8');
    const credentials = fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8');
    assert.match(flows, /"type": ?"plex-account"/);
    assert.ok(!flows.includes(token), 'not in flows.json');
    assert.match(credentials, /"\$": ?"/, 'flows_cred.json holds encrypted credentials');
    assert.ok(!credentials.includes(token), 'flows_cred.json is encrypted');
    const account = JSON.parse(flows).find((node: any) => node.type === 'plex-account');
    await red.login('admin', PASSWORD);
    assert.equal((await (await red.admin('GET', `/plex-auth/accounts/${account.id}`)).json()).signedIn, true, 'the deployed node has the token');
    assert.ok(!(await (await red.admin('GET', '/flows')).text()).includes(token), 'not in an export');
    assert.ok(received.length > 20, 'responses were recorded');
    assert.ok(!received.some((body) => body.includes(token)), 'nothing the browser received holds the token');
    console.log(`# sign-in from dialog open to "Signed in as": ${signInSeconds.toFixed(1)} s`);
  });

  it('a deployed account whose token plex.tv refused opens on "Sign-in needed"; signing in again as another user enables Deploy, which saves the new token; Sign out and Deploy remove it', async () => {
    const flows = JSON.parse(fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8'));
    const accountId = flows.find((node: any) => node.type === 'plex-account').id as string;
    const oldToken = savedCredentials(red.userDir)[accountId]?.token;
    assert.ok(oldToken && standIn.accountTokens.has(oldToken), 'the first sign-in is saved in flows_cred.json');

    // The user signs out everywhere on plex.tv: Check tells it, and the dialog opens on it from then on.
    standIn.accountTokens.delete(oldToken);
    await openAccountDialog();
    await page.click('#plex-account-check');
    await page.waitForFunction(() => /no longer accepts/.test(document.querySelector('#plex-account-signin-status')?.textContent ?? ''), undefined, { timeout: 20_000 });
    // The last-check line follows the check's answer with a request of its own.
    await page.waitForFunction(() => /^Checked \d\d?:\d\d.*: token refused$/.test(document.querySelector('#plex-account-last-check')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await page.click('#node-config-dialog-cancel');
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    assert.equal(await deployEnabled(), false, 'a check changes nothing to deploy');
    await openAccountDialog();
    await page.waitForFunction(() => /^Sign-in needed/.test(document.querySelector('#plex-account-signin-status')?.textContent ?? ''), undefined, { timeout: 10_000 });
    assert.equal(await page.isVisible('#plex-account-signin'), true, 'the Sign in button is there');
    await page.locator('.red-ui-tray').last().screenshot({ path: path.join(artifacts, 'sign-in-needed.png') });

    await page.click('#plex-account-signin');
    await page.waitForSelector('#plex-account-signin-pin', { state: 'visible' });
    const pin = [...standIn.pins.values()].find((each) => each.strong && !each.authToken && each.expiresAt > Date.now())!;
    standIn.approve(pin.id, 'second-user');
    await page.waitForFunction(() => /Signed in as second-user/.test(document.querySelector('#plex-account-signin-status')?.textContent ?? ''), undefined, { timeout: 20_000 });
    // A new account signs in with the device key: the PIN's token is a Plex JWT, and the dialog says so.
    const newToken = pin.authToken!;
    assert.ok(standIn.plexJwts.has(newToken), 'the sign-in brought a Plex JWT');
    await page.waitForFunction(() => /^JWT, valid until .+ \(renewed by itself\)$/.test(document.querySelector('#plex-account-token-kind')?.textContent ?? ''), undefined, { timeout: 10_000 });
    assert.equal(await page.isVisible('#plex-account-move-jwt'), false, 'no Move to JWT for a JWT');
    await closeDialogs();
    assert.equal(await deployEnabled(), true, 'Deploy is enabled after signing in again');
    await deploy();
    const saved = savedCredentials(red.userDir)[accountId];
    assert.equal(saved?.token, newToken, 'flows_cred.json holds the new token, not the old one');
    assert.match(saved?.privateKey ?? '', /^-----BEGIN PRIVATE KEY-----/, 'and the device key the runtime made');
    assert.ok(!fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8').includes(newToken), 'encrypted');
    const state = await (await red.admin('GET', `/plex-auth/accounts/${accountId}`)).json();
    assert.deepEqual([state.signedIn, state.signInNeeded], [true, false], 'the new token is not marked');

    await openAccountDialog();
    await page.click('#plex-account-signout');
    await page.waitForFunction(() => /^Signed out/.test(document.querySelector('#plex-account-signin-status')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await closeDialogs();
    assert.equal(await deployEnabled(), true, 'Deploy is enabled after signing out');
    await deploy();
    assert.equal(savedCredentials(red.userDir)[accountId]?.token, undefined, 'flows_cred.json holds no token after Sign out and Deploy');
    assert.ok(!received.some((body) => body.includes(newToken)), 'the browser never received the token');
  });

  it('an account signed in with a classic token moves to JWT from its dialog, after a confirm; Deploy saves the JWT and the device key', async () => {
    const flows = JSON.parse(fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8'));
    const accountId = flows.find((node: any) => node.type === 'plex-account').id as string;
    await openAccountDialog();
    await page.selectOption('#node-config-input-auth', 'token');
    await page.click('#plex-account-signin');
    await page.waitForSelector('#plex-account-signin-pin', { state: 'visible' });
    const pin = [...standIn.pins.values()].find((each) => each.strong && !each.authToken && each.expiresAt > Date.now())!;
    const classicToken = standIn.approve(pin.id, 'classic-user');
    assert.equal(standIn.plexJwts.has(classicToken), false, 'a classic PIN brings a classic token');
    await page.waitForFunction(() => /^Classic token/.test(document.querySelector('#plex-account-token-kind')?.textContent ?? ''), undefined, { timeout: 20_000 });

    let confirmText = '';
    page.once('dialog', (dialog) => {
      confirmText = dialog.message();
      void dialog.accept();
    });
    await page.click('#plex-account-move-jwt');
    await page.waitForFunction(() => /^JWT, valid until .+ \(renewed by itself\)$/.test(document.querySelector('#plex-account-token-kind')?.textContent ?? ''), undefined, { timeout: 20_000 });
    assert.match(confirmText, /classic token/i, 'the confirm says what happens to the classic token');
    const registered = standIn.requests.filter((request) => request.method === 'POST' && request.path === '/api/v2/auth/jwk');
    assert.equal(registered.at(-1)?.headers['x-plex-token'], classicToken, 'the device key was registered with the classic token');
    assert.equal(await page.inputValue('#node-config-input-auth'), 'jwt');
    await page.locator('.red-ui-tray').last().screenshot({ path: path.join(artifacts, 'moved-to-jwt.png') });
    await closeDialogs();
    assert.equal(await deployEnabled(), true, 'Deploy is enabled after the move');
    await deploy();
    const saved = savedCredentials(red.userDir)[accountId];
    assert.ok(saved?.token && standIn.plexJwts.has(saved.token), 'flows_cred.json holds the Plex JWT');
    assert.match(saved?.privateKey ?? '', /^-----BEGIN PRIVATE KEY-----/, 'and the device key');
    const deployed = JSON.parse(fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8')).find((node: any) => node.id === accountId);
    assert.equal(deployed.auth, 'jwt');
    assert.ok(!received.some((body) => body.includes(classicToken) || body.includes(saved.token!)), 'the browser never received either token');
  });

  it('opens the plex-server dialog with the account to choose', async () => {
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('n3')));
    await page.click('#node-input-btn-server-add');
    await page.waitForSelector('#node-config-input-url', { state: 'visible' });
    await page.fill('#node-config-input-url', 'http://192.168.1.20:32400/library');
    await page.waitForSelector('#plex-server-url-invalid', { state: 'visible' });
    await page.fill('#node-config-input-url', 'http://192.168.1.20:32400');
    await page.waitForSelector('#plex-server-url-invalid', { state: 'hidden' });
    const accounts = await page.locator('#node-config-input-account option').allTextContents();
    assert.ok(accounts.includes('My Plex'), accounts.join());
    await page.locator('.red-ui-tray').last().screenshot({ path: path.join(artifacts, 'server-dialog.png') });
    await page.click('#node-config-dialog-cancel');
    await page.click('#node-dialog-cancel');
  });
});
