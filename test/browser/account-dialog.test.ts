/**
 * The plex-account dialog as a new user meets it, in headless Chromium against a real
 * node-red, in English and in German: the sign-in choice in plain words, a spinner while the PIN
 * is asked for, each code with its own expiry, Sign out that asks first, and the notice every
 * open editor shows when the account's token is refused; every text it shows filled in.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { PlexStandIn } from '../../dev/plex-stand-in';
import type { NodeRed } from '../../dev/node-red-process';
import { delay } from '../support';
import { PASSWORD, json, startWithPackage } from '../admin/setup';
import { ACE_EDITOR, assertTextsFilled, cancelDialogs, closeBrowser, openEditor, textOf, waitForText, type EditorPage } from './editor-page';

const WATCHED_TOKEN = 'SECRET-WATCHED-ACCOUNT-TOKEN-5c1d';

const languages = [
  {
    locale: 'en-US',
    auth: ['Standard', 'Plex JWT (plex.tv only; servers keep the standard token)'],
    requesting: 'Asking plex.tv for a PIN…',
    linkExpires: /^The link and the QR code expire in (29:[0-5]\d|30:00)$/,
    codeExpires: /^The code expires in (14:[0-5]\d|15:00)$/,
    linkLater: /^The link and the QR code expire in (14:[0-4]\d|14:50|13:5\d)$/,
    codeExpired: 'This code has expired: use the link or the QR code.',
    expired: 'The PIN expired before it was approved. Try again.',
    cancelled: 'Sign-in cancelled.',
    signedInAs: 'Signed in as',
    valid: 'Token is valid: signed in as',
    confirm: /^Sign out\? Node-RED forgets this account's token/,
    signedOut: /^Signed out\./,
    linkFailed: 'Could not link:',
    linked: (code: string) => `Linked ${code}: the TV or app signs in now.`,
    notice: /The Plex account “Watched” needs a new sign-in: plex\.tv or a server refused its token\./,
    open: 'Sign in',
    signInNeeded: /^Sign-in needed/,
  },
  {
    locale: 'de-DE',
    auth: ['Standard', 'Plex-JWT (nur plex.tv; Server behalten das Standard-Token)'],
    requesting: 'Frage plex.tv nach einer PIN…',
    linkExpires: /^Link und QR-Code laufen ab in (29:[0-5]\d|30:00)$/,
    codeExpires: /^Der Code läuft ab in (14:[0-5]\d|15:00)$/,
    linkLater: /^Link und QR-Code laufen ab in (14:[0-4]\d|14:50|13:5\d)$/,
    codeExpired: 'Dieser Code ist abgelaufen: nutze den Link oder den QR-Code.',
    expired: 'Die PIN ist abgelaufen, bevor sie bestätigt wurde. Versuche es erneut.',
    cancelled: 'Anmeldung abgebrochen.',
    signedInAs: 'Angemeldet als',
    valid: 'Token ist gültig: angemeldet als',
    confirm: /^Abmelden\? Node-RED vergisst das Token dieses Kontos/,
    signedOut: /^Abgemeldet\./,
    linkFailed: 'Verknüpfen fehlgeschlagen:',
    linked: (code: string) => `${code} verknüpft: der Fernseher oder die App meldet sich jetzt an.`,
    notice: /Das Plex-Konto „Watched“ braucht eine neue Anmeldung: plex\.tv oder ein Server hat sein Token abgelehnt\./,
    open: 'Anmelden',
    signInNeeded: /^Anmeldung nötig/,
  },
];

describe('the plex-account dialog in headless Chromium, in English and German', () => {
  const standIn = new PlexStandIn();
  let red: NodeRed;
  const pages: EditorPage[] = [];

  before(async () => {
    await standIn.start();
    standIn.addAccount('watched-user', WATCHED_TOKEN);
    red = await startWithPackage(ACE_EDITOR);
    await red.login('admin', PASSWORD);
    await red.deploy([
      { id: 'tab1', type: 'tab', label: 'Plex' },
      {
        id: 'watched',
        type: 'plex-account',
        name: 'Watched',
        clientIdentifier: 'watched-client',
        product: 'Node-RED',
        deviceName: 'Test',
        plexTvUrl: standIn.url,
        auth: 'token',
        credentials: { token: WATCHED_TOKEN },
      },
      { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 100, y: 100, wires: [['list']] },
      { id: 'list', type: 'plex-servers', z: 'tab1', account: 'watched', x: 300, y: 100, wires: [] },
      { id: 'n0', type: 'plex-pin', z: 'tab1', account: '', x: 300, y: 200, wires: [] },
    ]);
    for (const { locale } of languages) pages.push(await openEditor(red, '.red-ui-palette-node[data-palette-type="plex-pin"]', { locale, clock: true }));
  });
  after(async () => {
    await closeBrowser();
    await red?.stop();
    await standIn.stop();
  });

  /** A new plex-account from the plex-pin node's dialog, on the stand-in. */
  async function newAccount(page: Page): Promise<void> {
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('n0')));
    await page.click('#node-input-btn-account-add');
    await page.waitForSelector('#plex-account-signin', { state: 'visible' });
    await page.click('#plex-account-advanced-toggle');
    await page.fill('#node-config-input-plexTvUrl', standIn.url);
  }

  /** The strong PIN the stand-in made last and nobody approved: the dialog's. */
  function openPin() {
    return [...standIn.pins.values()].reverse().find((pin) => pin.strong && !pin.authToken)!;
  }

  languages.forEach((language, index) => {
    it(`${language.locale}: a new account signs in the standard way, named in plain words; a spinner shows while plex.tv is asked for a PIN`, async () => {
      const { page } = pages[index];
      await newAccount(page);
      assert.equal(await page.inputValue('#node-config-input-auth'), 'token');
      assert.deepEqual(
        (await page.locator('#node-config-input-auth option').allTextContents()).map((text) => text.trim()),
        language.auth,
      );
      await assertTextsFilled(page, `${language.locale} new account`);

      // plex.tv is slow to give the PINs (a sign-in asks for two, the link's and the code's): a spinner says it is asked.
      let answerFirst!: () => void;
      standIn.fail(/^POST \/api\/v2\/pins/, { heldUntil: new Promise<void>((resolve) => (answerFirst = resolve)) }, 2);
      await page.click('#plex-account-signin');
      await page.waitForSelector('#plex-account-signin-status .fa-spinner', { state: 'visible' });
      assert.equal(await textOf(page, '#plex-account-signin-status'), language.requesting);
      await assertTextsFilled(page, `${language.locale} asking for a PIN`);

      // Cancel while it is asked: the PIN that comes later is ended in the runtime, never shown.
      await page.click('#plex-account-signin-cancel');
      await waitForText(page, '#plex-account-signin-status', language.cancelled);
      let ended = page.waitForRequest((request) => request.method() === 'DELETE' && /\/pin\/[^/]+$/.test(request.url()));
      answerFirst();
      await ended;
      assert.equal(await page.isVisible('#plex-account-signin-pin'), false, 'the PIN of a cancelled sign-in is not shown');
      assert.equal(await textOf(page, '#plex-account-signin-status'), language.cancelled);

      // The dialog closed while it is asked: the late PIN is ended too, and writes nothing into the next dialog.
      let answerSecond!: () => void;
      standIn.fail(/^POST \/api\/v2\/pins/, { heldUntil: new Promise<void>((resolve) => (answerSecond = resolve)) }, 2);
      await page.click('#plex-account-signin');
      await page.waitForSelector('#plex-account-signin-status .fa-spinner', { state: 'visible' });
      await cancelDialogs(page);
      await newAccount(page);
      const before = await textOf(page, '#plex-account-signin-status');
      ended = page.waitForRequest((request) => request.method() === 'DELETE' && /\/pin\/[^/]+$/.test(request.url()));
      answerSecond();
      await ended;
      assert.equal(await page.isVisible('#plex-account-signin-pin'), false, "a closed dialog's PIN is not shown in the next one");
      assert.equal(await textOf(page, '#plex-account-signin-status'), before);
      await cancelDialogs(page);
    });

    it(`${language.locale}: the link and the 4-character code each count down to their own PIN's expiry`, async () => {
      const { page } = pages[index];
      await newAccount(page);
      await page.click('#plex-account-signin');
      await page.waitForSelector('#plex-account-signin-pin', { state: 'visible' });
      assert.match(await textOf(page, '#plex-account-signin-link-countdown'), language.linkExpires);
      assert.match(await textOf(page, '#plex-account-signin-code-countdown'), language.codeExpires);
      assert.equal(await page.isVisible('#plex-account-signin-status .fa-spinner'), false, 'no spinner once the PIN is there');
      await assertTextsFilled(page, `${language.locale} PIN shown`);

      // 15 minutes on: plex.tv has dropped the 4-character code; the link still works.
      await page.clock.fastForward('15:10');
      await waitForText(page, '#plex-account-signin-code-countdown', language.codeExpired);
      assert.equal(await page.isVisible('#plex-account-signin-code'), false, 'the expired code is not shown');
      assert.match(await textOf(page, '#plex-account-signin-link-countdown'), language.linkLater);
      assert.equal(await page.isVisible('#plex-account-signin-link'), true);
      await assertTextsFilled(page, `${language.locale} code expired`);

      await page.clock.fastForward('15:00');
      await waitForText(page, '#plex-account-signin-status', language.expired);
      assert.equal(await page.isVisible('#plex-account-signin-pin'), false);
      await assertTextsFilled(page, `${language.locale} sign-in expired`);
      await cancelDialogs(page);
      await page.clock.setSystemTime(Date.now()); // back to the runtime's time, which the PINs' expiries are in
    });

    it(`${language.locale}: a sign-in cancelled; signed in, Check says so; Sign out asks first, and Cancel keeps the token`, async () => {
      const { page } = pages[index];
      await newAccount(page);
      await page.click('#plex-account-signin');
      await page.waitForSelector('#plex-account-signin-pin', { state: 'visible' });
      await page.click('#plex-account-signin-cancel');
      await waitForText(page, '#plex-account-signin-status', language.cancelled);
      await assertTextsFilled(page, `${language.locale} sign-in cancelled`);

      const asked = page.waitForRequest((request) => /\/plex-auth\/accounts\/[^/]+\/pin$/.test(request.url()));
      await page.click('#plex-account-signin');
      const accountId = /accounts\/([^/]+)\/pin$/.exec((await asked).url())![1];
      await page.waitForSelector('#plex-account-signin-pin', { state: 'visible' });
      const username = `user-${language.locale}`;
      standIn.approve(openPin().id, username);
      await waitForText(page, '#plex-account-signin-status', `${language.signedInAs} ${username}`);
      await assertTextsFilled(page, `${language.locale} signed in`);
      await page.click('#plex-account-check');
      await waitForText(page, '#plex-account-signin-status', `${language.valid} ${username}`);
      await assertTextsFilled(page, `${language.locale} checked`);

      // Link a TV's code from the same dialog: an unknown code is refused in words, the TV's own signs it in.
      const tv = standIn.newPin({ clientIdentifier: `tv-${language.locale}`, product: 'Plex for LG', strong: false });
      const unknown = ['ZZZ9', 'ZZZ8'].find((code) => ![...standIn.pins.values()].some((pin) => pin.code === code))!;
      await page.fill('#plex-account-link-code', unknown);
      await page.click('#plex-account-link-button');
      await waitForText(page, '#plex-account-link-status', new RegExp(`^${language.linkFailed} Code ${unknown} is unknown or expired`));
      await page.fill('#plex-account-link-code', tv.code.toLowerCase());
      await page.press('#plex-account-link-code', 'Enter');
      await waitForText(page, '#plex-account-link-status', `${language.linked(tv.code)}`);
      assert.ok(tv.authToken, "the TV's PIN carries the account's token");
      assert.equal(await page.isVisible('.red-ui-tray'), true, 'Enter in the code field links, it does not close the dialog');
      await assertTextsFilled(page, `${language.locale} code linked`);

      await page.click('#plex-account-signout');
      await page.waitForSelector('#plex-account-signout-confirm', { state: 'visible' });
      assert.match(await textOf(page, '#plex-account-signout-confirm'), language.confirm);
      await assertTextsFilled(page, `${language.locale} sign out?`);
      await page.click('#plex-account-signout-no');
      assert.equal(await page.isVisible('#plex-account-signout-confirm'), false);
      assert.equal(await textOf(page, '#plex-account-signin-status'), `${language.valid} ${username}`, 'Cancel changed nothing');
      assert.equal((await json(await red.admin('GET', `/plex-auth/accounts/${accountId}`))).body.signedIn, true, 'the token is kept');

      await page.click('#plex-account-signout');
      await page.click('#plex-account-signout-yes');
      await waitForText(page, '#plex-account-signin-status', language.signedOut);
      assert.equal(await page.isVisible('#plex-account-signout'), false);
      assert.equal((await json(await red.admin('GET', `/plex-auth/accounts/${accountId}`))).body.signedIn, false, 'the token is forgotten');
      await assertTextsFilled(page, `${language.locale} signed out`);
      await cancelDialogs(page);
    });
  });

  it("a refused token is one notice in every open editor, also one opened later; its button opens the account's dialog; a new sign-in takes the notice away", async () => {
    for (const { page } of pages) await cancelDialogs(page);
    standIn.accountTokens.delete(WATCHED_TOKEN); // the user signed out everywhere on plex.tv
    const check = await json(await red.admin('POST', '/plex-auth/accounts/watched/check', {}));
    assert.equal(check.body.state, 'revoked');
    // A call refused as well: still one change, so still one message.
    const refusedBefore = standIn.requests.filter((request) => request.path.startsWith('/api/v2/resources')).length;
    await red.inject('go');
    const until = Date.now() + 10_000;
    while (standIn.requests.filter((request) => request.path.startsWith('/api/v2/resources')).length === refusedBefore) {
      assert.ok(Date.now() < until, 'the flow did not call plex.tv');
      await delay(100);
    }
    const later = await openEditor(red, '.red-ui-palette-node[data-palette-type="plex-pin"]', { locale: 'en-US' });
    pages.push(later);

    for (const [index, language] of [...languages, languages[0]].entries()) {
      const { page } = pages[index];
      const notice = page.locator('.red-ui-notification', { hasText: language.notice });
      await notice.waitFor({ state: 'visible', timeout: 20_000 });
      assert.equal(await notice.count(), 1, `${language.locale}: one notice`);
      await assertTextsFilled(page, `${language.locale} notice`);
    }
    for (const { received } of pages.slice(0, 2)) {
      const said = received.filter((frame) => frame.includes('plex-auth/sign-in-needed/watched'));
      assert.equal(said.length, 1, `one message per change, not per refusal or node: ${said.join(' | ')}`);
      assert.ok(!said[0].includes(WATCHED_TOKEN));
    }

    const { page } = pages[0];
    await page.locator('.red-ui-notification button', { hasText: languages[0].open }).click();
    await page.waitForSelector('#plex-account-signin', { state: 'visible' });
    assert.equal(await page.inputValue('#node-config-input-name'), 'Watched', "the account's own dialog");
    await waitForText(page, '#plex-account-signin-status', languages[0].signInNeeded);
    await page.locator('.red-ui-notification', { hasText: languages[0].notice }).waitFor({ state: 'detached' });
    await assertTextsFilled(page, 'en-US sign-in needed');

    await page.click('#plex-account-signin');
    await page.waitForSelector('#plex-account-signin-pin', { state: 'visible' });
    standIn.approve(openPin().id, 'watched-again');
    await waitForText(page, '#plex-account-signin-status', `${languages[0].signedInAs} watched-again`);
    await pages[1].page.locator('.red-ui-notification', { hasText: languages[1].notice }).waitFor({ state: 'detached', timeout: 20_000 });
    await cancelDialogs(page);
  });
});
