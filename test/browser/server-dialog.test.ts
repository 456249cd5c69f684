/**
 * The plex-server dialog in headless Chromium against a real node-red, in English and in German:
 * where a deployed server is found now, Find servers (its order, its failures in the runtime's
 * words), Use (an offline server, a shared one), and every text it shows filled in.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PlexStandIn, type StandInServer } from '../../dev/plex-stand-in';
import { deadPort } from '../../dev/stand-in/exchange';
import { repoRoot, type NodeRed } from '../../dev/node-red-process';
import { delay } from '../support';
import { PASSWORD, json, startWithPackage } from '../admin/setup';
import { ACE_EDITOR, assertTextsFilled, cancelDialogs, closeBrowser, deployFromEditor, openEditor, textOf, waitForText, type EditorPage } from './editor-page';

const ACCOUNT_TOKEN = 'SECRET-BROWSER-ACCOUNT-TOKEN-91e2';
const artifacts = path.join(repoRoot, 'test-artifacts');

/** What each language shows: the browser's language picks the editor's. */
const languages = [
  {
    locale: 'en-US',
    yours: 'yours',
    moved: /^The server moved on (.*\d.*): Node-RED uses (http:\/\/127\.0\.0\.1:\d+) instead of this URL$/,
    notSignedIn: /^Could not list the servers: The account is not signed in/,
    unreachable: /^Bob's Old Server did not answer Node-RED at any of its addresses\. Is it switched on/,
    tried: /^Tried: no connection of server \S+ answered: http:\/\/127\.0\.0\.1:\d+ \(/,
    pickedShared: /^Anna's Server answers at (http:\/\/127\.0\.0\.1:\d+); its own token is kept in Node-RED$/,
  },
  {
    locale: 'de-DE',
    yours: 'deiner',
    moved: /^Der Server ist am (.*\d.*) umgezogen: Node-RED verwendet (http:\/\/127\.0\.0\.1:\d+) statt dieser URL$/,
    notSignedIn: /^Die Server konnten nicht abgefragt werden: The account is not signed in/,
    unreachable: /^Bob's Old Server hat Node-RED unter keiner seiner Adressen geantwortet\. Ist er eingeschaltet/,
    tried: /^Versucht: no connection of server \S+ answered: http:\/\/127\.0\.0\.1:\d+ \(/,
    pickedShared: /^Anna's Server antwortet unter (http:\/\/127\.0\.0\.1:\d+); sein eigenes Token bleibt in Node-RED$/,
  },
];

describe('the plex-server dialog in headless Chromium, in English and German', () => {
  const standIn = new PlexStandIn();
  let owned: StandInServer;
  let shared: StandInServer;
  let gone: StandInServer;
  let red: NodeRed;
  const pages: EditorPage[] = [];

  before(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    // plex.tv lists it first: a shared server that is offline and answers nowhere.
    gone = await standIn.addServer({
      name: "Bob's Old Server",
      owned: false,
      sourceTitle: 'bob',
      presence: false,
      connections: [{ local: false, dead: true }],
    });
    ({ owned, shared } = await standIn.addDemoServers());
    const ownedUrl = (owned.device().connections as Array<{ uri: string; local: boolean; protocol: string }>).find(
      (c) => c.local && c.protocol === 'http',
    )!.uri;
    red = await startWithPackage(ACE_EDITOR);
    await red.login('admin', PASSWORD);
    await red.deploy([
      { id: 'tab1', type: 'tab', label: 'Plex' },
      {
        id: 'acct',
        type: 'plex-account',
        name: 'My Plex',
        clientIdentifier: 'server-dialog-client',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: standIn.url,
        credentials: { token: ACCOUNT_TOKEN },
      },
      {
        id: 'nobody',
        type: 'plex-account',
        name: 'Not signed in',
        clientIdentifier: 'server-dialog-nobody',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: standIn.url,
      },
      { id: 'still', type: 'plex-server', name: 'Never moved', url: ownedUrl, account: 'acct', machineIdentifier: owned.standIn.machineIdentifier },
      {
        id: 'moved',
        type: 'plex-server',
        name: 'Moved',
        url: `http://127.0.0.1:${await deadPort()}`,
        account: 'acct',
        machineIdentifier: owned.standIn.machineIdentifier,
      },
      {
        id: 'jwtacct',
        type: 'plex-account',
        name: 'With a Plex JWT',
        clientIdentifier: 'server-dialog-jwt',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: standIn.url,
        auth: 'jwt',
        credentials: { token: ACCOUNT_TOKEN },
      },
      {
        id: 'slowacct',
        type: 'plex-account',
        name: 'Slow plex.tv',
        clientIdentifier: 'server-dialog-slow',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: standIn.url,
        credentials: { token: ACCOUNT_TOKEN },
      },
      { id: 'jwtsrv', type: 'plex-server', name: 'Checked for JWTs', url: ownedUrl, account: 'jwtacct', machineIdentifier: owned.standIn.machineIdentifier },
      { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 100, wires: [['tt']] },
      { id: 'tt', type: 'plex-transient-token', z: 'tab1', server: '', x: 300, y: 100, wires: [] },
      { id: 'go-moved', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 200, wires: [['tt-moved']] },
      { id: 'tt-moved', type: 'plex-transient-token', z: 'tab1', server: 'moved', x: 300, y: 200, wires: [] },
    ]);
    // The server behind "moved" is found through the account at its current address.
    await red.inject('go-moved');
    const until = Date.now() + 20_000;
    while (!(await json(await red.admin('GET', '/plex-auth/servers/moved'))).body.movedAt) {
      assert.ok(Date.now() < until, `the server did not move: ${red.output().slice(-1500)}`);
      await delay(100);
    }
  });
  after(async () => {
    await closeBrowser();
    await red?.stop();
    await standIn.stopServers();
    await standIn.stop();
  });

  async function openServer(page: Page, id: string): Promise<void> {
    const answered = page.waitForResponse((response) => response.url().endsWith(`/plex-auth/servers/${id}`));
    await page.evaluate((serverId) => (window as any).RED.editor.editConfig('', 'plex-server', serverId), id);
    await page.waitForSelector('#plex-server-find', { state: 'visible' });
    await answered;
  }

  const waitForStatus = (page: Page, pattern: RegExp) => waitForText(page, '#plex-server-find-status', pattern);

  for (const language of languages) {
    it(`${language.locale}: a server that never moved says nothing of moving; one that moved says when, and where it is used now`, async () => {
      const opened = await openEditor(red, '.red-ui-palette-node[data-palette-type="plex-servers"]', { locale: language.locale });
      pages.push(opened);
      const { page } = opened;

      await openServer(page, 'still');
      assert.equal(await page.isVisible('#plex-server-in-use'), false, 'no move shown for a server at its URL');
      await assertTextsFilled(page, `${language.locale} never moved`);
      await cancelDialogs(page);

      await openServer(page, 'moved');
      await page.waitForSelector('#plex-server-in-use', { state: 'visible' });
      const [, when, address] = language.moved.exec(await textOf(page, '#plex-server-in-use')) ?? [];
      assert.ok(when && address, `moved: "${await textOf(page, '#plex-server-in-use')}"`);
      assert.equal(address, (await json(await red.admin('GET', '/plex-auth/servers/moved'))).body.address);
      await assertTextsFilled(page, `${language.locale} moved`);
      await cancelDialogs(page);
    });

    it(`${language.locale}: Find servers says why it cannot list, lists own online servers first and offline ones last, and Use says plainly when a server answers nowhere`, async () => {
      const { page } = pages.at(-1)!;
      await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('tt')));
      await page.click('#node-input-btn-server-add');
      await page.waitForSelector('#plex-server-find', { state: 'visible' });
      await assertTextsFilled(page, `${language.locale} new server`);

      await page.selectOption('#node-config-input-account', 'nobody');
      await page.click('#plex-server-find');
      await waitForStatus(page, language.notSignedIn);
      await assertTextsFilled(page, `${language.locale} not signed in`);

      await page.selectOption('#node-config-input-account', 'acct');
      await page.click('#plex-server-find');
      await page.waitForSelector('#plex-server-list tr >> nth=2', { timeout: 20_000 });
      const rows = await page
        .locator('#plex-server-list tr')
        .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent).slice(0, 4)));
      assert.deepEqual(rows, [
        ['Living Room', language.yours, 'online', '1.41.3.9314'],
        ["Anna's Server", 'anna', 'online', '1.41.3.9314'],
        ["Bob's Old Server", 'bob', 'offline', '1.41.3.9314'],
      ]);
      await assertTextsFilled(page, `${language.locale} servers listed`);
      // docs/images/find-servers.png is copied from here
      if (language.locale === 'en-US')
        await page
          .locator('.red-ui-tray')
          .last()
          .screenshot({ path: path.join(artifacts, 'find-servers.png') });

      await page.click(`#plex-server-list button[data-machine-identifier="${gone.standIn.machineIdentifier}"]`);
      await waitForStatus(page, language.unreachable);
      assert.match(await textOf(page, '#plex-server-find-detail'), language.tried);
      await assertTextsFilled(page, `${language.locale} answers nowhere`);

      await page.click(`#plex-server-list button[data-machine-identifier="${shared.standIn.machineIdentifier}"]`);
      const [, url] = language.pickedShared.exec(await waitForStatus(page, language.pickedShared))!;
      assert.equal(await page.isVisible('#plex-server-find-detail'), false, 'the addresses tried before are gone');
      const remote = (shared.device() as any).connections.find((c: any) => !c.local).uri;
      assert.equal(url, remote, 'the best connection that answers (a shared server: no local one)');
      assert.equal(await page.inputValue('#node-config-input-url'), remote);
      assert.equal(await page.inputValue('#node-config-input-machineIdentifier'), shared.standIn.machineIdentifier);
      assert.equal(await page.inputValue('#node-config-input-name'), "Anna's Server");
      await assertTextsFilled(page, `${language.locale} picked`);
      await cancelDialogs(page);
    });
  }

  it('says whether a server of a "Plex JWT" account takes Plex JWTs, and checks it again on a click', async () => {
    const until = Date.now() + 20_000;
    while ((await json(await red.admin('GET', '/plex-auth/accounts/jwtacct'))).body.keyDevice.state !== 'ready') {
      assert.ok(Date.now() < until, 'the account made its key device');
      await delay(100);
    }
    const { page } = pages[0];
    await openServer(page, 'jwtsrv');
    await page.waitForSelector('#plex-server-jwt', { state: 'visible' });
    const checked = async (pattern: RegExp) => {
      await page.click('#plex-server-jwt-check');
      await waitForText(page, '#plex-server-jwt-state', pattern);
    };
    // Real servers refuse Plex JWTs today: the stand-in too, by default.
    await checked(/^Takes Plex JWTs: not yet \(checked .*\d.*: it refused the Plex JWT\)\. It gets the standard token\.$/);
    await assertTextsFilled(page, 'server refuses Plex JWTs');
    owned.standIn.takesPlexJwts = true;
    try {
      await checked(/^Takes Plex JWTs \(checked .*\d.*\): it gets its own from the account\.$/);
      await assertTextsFilled(page, 'server takes Plex JWTs');
    } finally {
      owned.standIn.takesPlexJwts = false;
    }
    await cancelDialogs(page);
  });

  it("a server picked with Use, answered after its dialog closed, fills in nothing, not another server's dialog", async () => {
    const { page } = pages[0];
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('tt')));
    await page.click('#node-input-btn-server-add');
    await page.waitForSelector('#plex-server-find', { state: 'visible' });
    await page.selectOption('#node-config-input-account', 'acct');
    await page.click('#plex-server-find');
    await page.waitForSelector('#plex-server-list tr >> nth=2', { timeout: 20_000 });
    // Use, with an account nothing asked plex.tv about yet: the pick asks plex.tv, which is slow today.
    await page.selectOption('#node-config-input-account', 'slowacct');
    let answer!: () => void;
    standIn.fail(/^GET \/api\/v2\/resources/, { heldUntil: new Promise<void>((resolve) => (answer = resolve)) });
    const asked = standIn.requests.length;
    const picked = page.waitForResponse((response) => response.url().endsWith('/pick'));
    await page.click(`#plex-server-list button[data-machine-identifier="${shared.standIn.machineIdentifier}"]`);
    while (!standIn.requests.slice(asked).some((request) => request.path.startsWith('/api/v2/resources'))) await delay(50);
    await cancelDialogs(page);

    await openServer(page, 'still');
    const before = await page.inputValue('#node-config-input-url');
    answer();
    assert.equal((await picked).status(), 200, 'the pick itself worked');
    await (await picked).finished();
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200))); // the answer's handlers have run
    assert.equal(await page.inputValue('#node-config-input-name'), 'Never moved');
    assert.equal(await page.inputValue('#node-config-input-url'), before);
    assert.equal(await page.inputValue('#node-config-input-machineIdentifier'), owned.standIn.machineIdentifier);
    assert.equal(await textOf(page, '#plex-server-find-status'), '');
    await cancelDialogs(page);
  });

  it('a picked shared server, deployed, calls with its own token, which never reached the browser', async () => {
    const { page, received } = pages[0];
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('tt')));
    await page.click('#node-input-btn-server-add');
    await page.waitForSelector('#plex-server-find', { state: 'visible' });
    await page.selectOption('#node-config-input-account', 'acct');
    await page.click('#plex-server-find');
    await page.click(`#plex-server-list button[data-machine-identifier="${shared.standIn.machineIdentifier}"]`);
    await waitForStatus(page, languages[0].pickedShared);
    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    await deployFromEditor(page, red);

    const seen = shared.standIn.requests.length;
    await red.inject('go');
    const until2 = Date.now() + 10_000;
    while (!shared.standIn.requests.slice(seen).some((r) => r.path.startsWith('/security/token'))) {
      assert.ok(Date.now() < until2, `no call reached the shared server: ${red.output().slice(-1500)}`);
      await delay(100);
    }
    const call = shared.standIn.requests.slice(seen).find((r) => r.path.startsWith('/security/token'))!;
    assert.equal(call.headers['x-plex-token'], shared.accessToken);
    assert.ok(
      !pages.some((each) => each.received.some((body) => body.includes(shared.accessToken) || body.includes(ACCOUNT_TOKEN))),
      'no token reached a browser',
    );
    assert.ok(received.length > 20, 'responses were recorded');
    const credentials = fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8');
    assert.ok(!credentials.includes(shared.accessToken), 'flows_cred.json is encrypted');
  });
});
