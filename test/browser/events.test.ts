/**
 * The "lights down when a movie plays" example in headless Chromium against a real node-red and
 * the stand-in: the node shows "connected", plays and pauses reach the debug sidebar, and the
 * dialog's "Load from server" offers the server's users, players and libraries to click.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { repoRoot, type NodeRed } from '../../dev/node-red-process';
import { PASSWORD, startWithPackage } from '../admin/setup';
import { ACE_EDITOR, closeBrowser, openEditor, waitForText, waitInPage } from './editor-page';

const ACCOUNT_TOKEN = 'SECRET-BROWSER-EVENTS-TOKEN-6b3f';
const artifacts = path.join(repoRoot, 'test-artifacts'); // docs/images/events-*.png are copied from here

/** The example as Import would bring it, its account signed in and its server the stand-in. */
function exampleFlow(standInUrl: string): Array<Record<string, unknown>> {
  const example = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', 'lights-down-when-a-movie-plays.json'), 'utf8')) as Array<Record<string, unknown>>;
  return example.map((node) => {
    if (node.type === 'plex-account')
      return { ...node, clientIdentifier: 'browser-events-client', plexTvUrl: standInUrl, credentials: { token: ACCOUNT_TOKEN } };
    if (node.type === 'plex-server') return { ...node, name: 'Living Room', url: standInUrl };
    return node;
  });
}

describe('plex-events in the editor, in headless Chromium', () => {
  const standIn = new PlexStandIn({ friendlyName: 'Living Room' });
  let red: NodeRed;
  let page: Page;
  let received: string[];

  before(async () => {
    await standIn.start();
    standIn.addAccount('owner', ACCOUNT_TOKEN);
    red = await startWithPackage(ACE_EDITOR);
    await red.login('admin', PASSWORD);
    await red.deploy(exampleFlow(standIn.url));
    ({ page, received } = await openEditor(red, '.red-ui-palette-node[data-palette-type="plex-events"]'));
    fs.mkdirSync(artifacts, { recursive: true });
  });
  after(async () => {
    await closeBrowser();
    await red?.stop();
    await standIn.stop();
  });

  const debugMessages = () => page.locator('.red-ui-debug-msg').count();
  const debugMessagesShown = (count: number) => waitInPage(page, (least) => document.querySelectorAll('.red-ui-debug-msg').length >= least, count, 10_000);

  it('shows "connected" under the node and the lights msgs in the debug sidebar as a movie plays, pauses and stops', async () => {
    await page.evaluate(() => {
      const RED = (window as any).RED;
      RED.workspaces.show('lights-tab');
      RED.sidebar.show('debug');
    });
    await waitForText(page, '#lights-events .red-ui-flow-node-status-label', /connected/);

    const session = standIn.playback.play();
    await debugMessagesShown(1);
    standIn.playback.tick(session.sessionKey); // a repeat: no msg
    standIn.playback.pause(session.sessionKey);
    await debugMessagesShown(2);
    standIn.playback.resume(session.sessionKey);
    await debugMessagesShown(3);
    standIn.playback.stop(session.sessionKey);
    await debugMessagesShown(4);
    // The debug sidebar shows objects folded: open each so the screenshot says what happened.
    for (const toggle of await page.locator('.red-ui-debug-msg .red-ui-debug-msg-object-handle').all()) await toggle.click();
    await page.mouse.move(0, 0);
    await page.setViewportSize({ width: 1500, height: 720 }); // the whole flow beside the sidebar
    await page.screenshot({ path: path.join(artifacts, 'events-flow.png') });
    await page.setViewportSize({ width: 1400, height: 900 });

    const texts = await page.locator('.red-ui-debug-msg').allTextContents();
    assert.equal(await debugMessages(), 4, texts.join('\n'));
    assert.match(texts[0], /lights down[\s\S]*brightness[\s\S]*10[\s\S]*Alex plays Big Buck Bunny on Living Room TV/);
    assert.match(texts[1], /lights up[\s\S]*100[\s\S]*Big Buck Bunny paused on Living Room TV/);
    assert.match(texts[2], /lights down/);
    assert.match(texts[3], /lights up[\s\S]*Big Buck Bunny stopped/);
  });

  it('"Load from server" offers the server\'s users, players and libraries; a click chooses one; no token reaches the browser', async () => {
    await page.evaluate(() => (window as any).RED.editor.edit((window as any).RED.nodes.node('lights-events')));
    await page.waitForSelector('#plex-events-load', { state: 'visible' });
    assert.equal(await page.getAttribute('#plex-events-types-choices button.selected', 'title'), 'movie', 'the example chose movies');
    await page.click('#plex-events-load');
    await page.waitForSelector('#plex-events-users-choices button', { timeout: 20_000 }).catch(async (error) => {
      throw new Error(`${error}; status: ${await page.textContent('#plex-events-load-status')}`);
    });
    assert.deepEqual(await page.locator('#plex-events-users-choices button').allTextContents(), ['Alex', 'Kids']);
    assert.deepEqual(await page.locator('#plex-events-players-choices button').allTextContents(), ['Living Room TV', "Kids' Tablet", "Alex's Phone"]);
    assert.deepEqual(await page.locator('#plex-events-libraries-choices button').allTextContents(), ['Movies', 'TV Shows', 'Music']);

    await page.click('#plex-events-players-choices button:has-text("Living Room TV")');
    assert.equal(await page.inputValue('#node-input-players'), 'player-living-room-tv');
    await page.click('#plex-events-users-choices button:has-text("Kids")');
    await page.click('#plex-events-users-choices button:has-text("Alex")');
    assert.equal(await page.inputValue('#node-input-users'), '2, 1');
    await page.click('#plex-events-users-choices button:has-text("Kids")');
    assert.equal(await page.inputValue('#node-input-users'), '1', 'a second click takes it out');
    assert.equal(
      await page
        .locator('#plex-events-users-choices button.selected')
        .allTextContents()
        .then((names) => names.join()),
      'Alex',
    );
    await page.mouse.move(0, 0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(artifacts, 'events-dialog.png') });
    assert.ok(!received.some((body) => body.includes(ACCOUNT_TOKEN)), 'no token reached the browser');
    await page.click('#node-dialog-cancel');
  });
});
