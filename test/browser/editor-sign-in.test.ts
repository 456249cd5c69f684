import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createDecipheriv, createHash } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { repoRoot, type NodeRed } from '../../dev/node-red-process';
import { CREDENTIAL_SECRET, PASSWORD, startWithPackage } from '../admin/setup';
import { assertTextsFilled, closeBrowser, deployFromEditor, openEditor, waitForText } from './editor-page';

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
  let page: Page;
  /** Everything the browser received: HTTP bodies and websocket frames. */
  let received: string[];

  before(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    await standIn.start();
    red = await startWithPackage();
    ({ page, received } = await openEditor(red, '.red-ui-palette-node[data-palette-type="plex-pin"]', { clock: true }));
  });
  const deploy = () => deployFromEditor(page, red);

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
    await closeBrowser();
    await red?.stop();
    await standIn.stop();
  });

  it('shows the flow nodes in a "plex" palette category, each label on one line', async () => {
    const oneLine = await page.locator('.red-ui-palette-node[data-palette-type="inject"]').evaluate((el) => el.getBoundingClientRect().height);
    for (const type of [...FLOW_NODES, 'plex-servers']) {
      const node = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      assert.equal(await node.evaluate((el) => el.closest('.red-ui-palette-category')?.id), 'red-ui-palette-container-plex', type);
      assert.equal(await node.evaluate((el) => el.getBoundingClientRect().height), oneLine, `${type}: "${await node.textContent()}" fits one line`);
    }
    await page.locator('#red-ui-palette-container-plex').screenshot({ path: path.join(artifacts, 'palette.png') });
  });

  it("each node's help fits the sidebar: long code wraps", async () => {
    for (const type of [...FLOW_NODES, 'plex-servers', 'plex-account', 'plex-server']) {
      const title = await page.evaluate((helpOf) => {
        const RED = (window as any).RED;
        RED.sidebar.help.show(helpOf);
        const definition = RED.nodes.getType(helpOf);
        return typeof definition.paletteLabel === 'function' ? definition.paletteLabel.call(definition) : (definition.paletteLabel ?? helpOf);
      }, type);
      const shown = page.locator('.red-ui-sidebar-help-stack .red-ui-help', { has: page.locator('h1.red-ui-help-title', { hasText: title }) });
      const help = shown.locator('.red-ui-help');
      await help.waitFor({ state: 'visible' });
      const widest = await help.evaluate(
        (el) => Math.max(...Array.from(el.querySelectorAll('code'), (code) => code.getBoundingClientRect().right)) - el.getBoundingClientRect().right,
      );
      assert.ok(widest <= 0, `${type}: a code block reaches ${widest.toFixed(0)} px past the help's edge`);
    }
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
    // The account signs in at the stand-in: its link leads to the stand-in's approval page, never the real plex.tv.
    assert.ok((await page.getAttribute('#plex-account-signin-link', 'href'))!.startsWith(`${standIn.url}/auth#?clientID=`));
    assert.match((await page.getAttribute('#plex-account-signin-qr', 'src'))!, /^data:image\/svg\+xml;base64,/);
    const countdown1 = await page.textContent('#plex-account-signin-link-countdown');
    await page.clock.fastForward(2000);
    assert.notEqual(await page.textContent('#plex-account-signin-link-countdown'), countdown1, 'the countdown runs');
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(artifacts, 'sign-in-dialog.png') });

    // Approve as the user would on plex.tv: the stand-in's /demo page.
    const pin = [...standIn.pins.values()].find((each) => each.strong && !each.authToken)!;
    await fetch(`${standIn.url}/demo/approve/${pin.id}`, { method: 'POST' });
    await waitForText(page, '#plex-account-signin-status', /Signed in as demo-user/, {
      detail: () => `${red.output().slice(-2000)}; ${JSON.stringify(standIn.requests.slice(-5).map((r) => r.path))}`,
    });
    const token = standIn.pins.get(pin.id)!.authToken!;
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(artifacts, 'signed-in.png') });
    const signInSeconds = (Date.now() - started) / 1000;
    await page.click('#plex-account-check');
    await waitForText(page, '#plex-account-signin-status', /Token is valid: signed in as demo-user/);

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
    await waitForText(page, '#plex-account-signin-status', /no longer accepts/);
    // The last-check line follows the check's answer with a request of its own.
    await waitForText(page, '#plex-account-last-check', /^Checked \d\d?:\d\d.*: token refused$/, { timeout: 10_000 });
    await assertTextsFilled(page, 'token refused');
    await page.click('#node-config-dialog-cancel');
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    assert.equal(await deployEnabled(), false, 'a check changes nothing to deploy');
    await openAccountDialog();
    await waitForText(page, '#plex-account-signin-status', /^Sign-in needed/, { timeout: 10_000 });
    assert.equal(await page.isVisible('#plex-account-signin'), true, 'the Sign in button is there');
    await assertTextsFilled(page, 'sign-in needed');
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(artifacts, 'sign-in-needed.png') });

    // This time with "Plex JWT": the PIN is a standard one all the same (its token is what servers take).
    await page.selectOption('#node-config-input-auth', 'jwt');
    await page.click('#plex-account-signin');
    await page.waitForSelector('#plex-account-signin-pin', { state: 'visible' });
    const pin = [...standIn.pins.values()].find((each) => each.strong && !each.authToken && each.expiresAt > Date.now())!;
    assert.equal(pin.jwk, undefined, 'no key in the sign-in PIN');
    standIn.approve(pin.id, 'second-user');
    await waitForText(page, '#plex-account-signin-status', /Signed in as second-user/);
    const newToken = pin.authToken!;
    assert.equal(standIn.plexJwts.has(newToken), false, 'the sign-in brought a standard token');
    await assertTextsFilled(page, 'signed in again, Plex JWT chosen');
    await closeDialogs();
    assert.equal(await deployEnabled(), true, 'Deploy is enabled after signing in again');
    await deploy();
    const saved = savedCredentials(red.userDir)[accountId];
    assert.equal(saved?.token, newToken, 'flows_cred.json holds the new token, not the old one');
    assert.ok(!fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8').includes(newToken), 'encrypted');
    const state = await (await red.admin('GET', `/plex-auth/accounts/${accountId}`)).json();
    assert.deepEqual([state.signedIn, state.signInNeeded, state.auth], [true, false, 'jwt'], 'the new token is not marked');

    // Deployed as "Plex JWT", the account makes its key device by itself; the dialog shows it and keeps its identifier.
    await openAccountDialog();
    await waitForText(page, '#plex-account-token-kind', /Plex JWT for plex\.tv, valid until .+ \(renewed by itself\)/);
    const keyDeviceId = await page.inputValue('#node-config-input-jwtClientIdentifier');
    assert.ok(keyDeviceId && keyDeviceId !== (await page.inputValue('#node-config-input-clientIdentifier')), 'a client identifier of its own');
    assert.equal(await page.isVisible('#plex-account-back-standard'), true);
    await assertTextsFilled(page, 'standard token and a Plex JWT');
    await closeDialogs();
    await deploy();
    const withKeyDevice = savedCredentials(red.userDir)[accountId];
    assert.equal(withKeyDevice?.token, newToken, 'servers keep the standard token');
    assert.equal(standIn.plexJwts.get(withKeyDevice?.jwt ?? '')?.clientIdentifier, keyDeviceId, "the Plex JWT is the key device's");
    assert.match(withKeyDevice?.privateKey ?? '', /^-----BEGIN PRIVATE KEY-----/, 'and its key');
    const deployedAccount = JSON.parse(fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8')).find((node: any) => node.id === accountId);
    assert.equal(deployedAccount.jwtClientIdentifier, keyDeviceId);

    await openAccountDialog();
    await page.click('#plex-account-signout');
    await page.click('#plex-account-signout-yes');
    await waitForText(page, '#plex-account-signin-status', /^Signed out/, { timeout: 10_000 });
    await closeDialogs();
    assert.equal(await deployEnabled(), true, 'Deploy is enabled after signing out');
    await deploy();
    assert.equal(savedCredentials(red.userDir)[accountId]?.token, undefined, 'flows_cred.json holds no token after Sign out and Deploy');
    assert.ok(!received.some((body) => body.includes(newToken)), 'the browser never received the token');
  });

  it('an account with a standard token moves to JWT from its dialog with no confirm; the standard token stays; Deploy saves the key device', async () => {
    const flows = JSON.parse(fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8'));
    const accountId = flows.find((node: any) => node.type === 'plex-account').id as string;
    // Deployed as a Standard account first (the test before left it a "Plex JWT" one).
    await openAccountDialog();
    await page.selectOption('#node-config-input-auth', 'token');
    await closeDialogs();
    await deploy();
    await openAccountDialog();
    await page.click('#plex-account-signin');
    await page.waitForSelector('#plex-account-signin-pin', { state: 'visible' });
    const pin = [...standIn.pins.values()].find((each) => each.strong && !each.authToken && each.expiresAt > Date.now())!;
    const standardToken = standIn.approve(pin.id, 'classic-user');
    await waitForText(page, '#plex-account-token-kind', /^Standard token/);
    await assertTextsFilled(page, 'signed in with a standard token');

    let confirmed = false;
    page.once('dialog', (dialog) => {
      confirmed = true;
      void dialog.dismiss();
    });
    const before = standIn.requests.length;
    await page.click('#plex-account-move-jwt');
    await waitForText(page, '#plex-account-token-kind', /Plex JWT for plex\.tv, valid until .+ \(renewed by itself\)/);
    assert.equal(confirmed, false, 'nothing to confirm: the standard token keeps working');
    const approved = standIn.requests.slice(before).filter((request) => request.method === 'PUT' && request.path === '/api/v2/pins/link');
    assert.equal(approved.at(-1)?.headers['x-plex-token'], standardToken, 'the key device was approved with the standard token');
    assert.equal(await page.inputValue('#node-config-input-auth'), 'jwt');
    assert.ok(await page.inputValue('#node-config-input-jwtClientIdentifier'));
    await assertTextsFilled(page, 'moved to JWT');
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(artifacts, 'moved-to-jwt.png') });
    await closeDialogs();
    assert.equal(await deployEnabled(), true, 'Deploy is enabled after the move');
    await deploy();
    const saved = savedCredentials(red.userDir)[accountId];
    assert.equal(saved?.token, standardToken, 'flows_cred.json keeps the standard token');
    assert.ok(saved?.jwt && standIn.plexJwts.has(saved.jwt), 'and holds the Plex JWT');
    assert.match(saved?.privateKey ?? '', /^-----BEGIN PRIVATE KEY-----/, "and the key device's key");
    const deployed = JSON.parse(fs.readFileSync(path.join(red.userDir, 'flows.json'), 'utf8')).find((node: any) => node.id === accountId);
    assert.equal(deployed.auth, 'jwt');
    assert.equal(standIn.plexJwts.get(saved.jwt)?.clientIdentifier, deployed.jwtClientIdentifier);
    assert.ok(!received.some((body) => body.includes(standardToken) || body.includes(saved.jwt!)), 'the browser never received either token');
  });

  it('opens the plex-server dialog with the account to choose', async () => {
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('n3')));
    await page.click('#node-input-btn-server-add');
    await page.waitForSelector('#node-config-input-url', { state: 'visible' });
    await page.fill('#node-config-input-url', 'http://192.168.1.20:32400/library');
    await page.waitForSelector('#plex-server-url-invalid', { state: 'visible' });
    await assertTextsFilled(page, 'a server URL with a path');
    await page.fill('#node-config-input-url', 'http://192.168.1.20:32400');
    await page.waitForSelector('#plex-server-url-invalid', { state: 'hidden' });
    const accounts = await page.locator('#node-config-input-account option').allTextContents();
    assert.ok(accounts.includes('My Plex'), accounts.join());
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(artifacts, 'server-dialog.png') });
    await page.click('#node-config-dialog-cancel');
    await page.click('#node-dialog-cancel');
  });

  it('lays out every example with room between its nodes, as the Import menu adds it', async () => {
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    for (const file of fs.readdirSync(path.join(repoRoot, 'examples'))) {
      const flows = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', file), 'utf8'));
      // The editor sizes each node by its label once its tab shows: the sizes are the editor's own.
      const crowded = await page.evaluate(async (nodes) => {
        const RED = (window as any).RED;
        RED.view.importNodes(nodes, { generateIds: true });
        const label = nodes.find((node: any) => node.type === 'tab').label;
        let tab = '';
        RED.nodes.eachWorkspace((workspace: any) => {
          if (workspace.label === label) tab = workspace.id;
        });
        RED.workspaces.show(tab);
        RED.view.redraw(true);
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const shown: Array<{ name: string; x: number; y: number; w: number; h: number }> = [];
        RED.nodes.eachNode((node: any) => {
          if (node.z === tab) shown.push({ name: node.name || node.type, x: node.x, y: node.y, w: node.w, h: node.h });
        });
        const tooClose: string[] = [];
        for (const [index, a] of shown.entries()) {
          for (const b of shown.slice(index + 1)) {
            // Centres closer than the half widths plus room for a wire's ends (20 px), or the half heights plus 10 px.
            if (Math.abs(a.x - b.x) < (a.w + b.w) / 2 + 20 && Math.abs(a.y - b.y) < (a.h + b.h) / 2 + 10) tooClose.push(`${a.name} / ${b.name}`);
          }
        }
        return tooClose;
      }, flows);
      assert.deepEqual(crowded, [], `${file}: nodes too close`);
    }
  });
});
