/** The Node-RED editor in headless Chromium (Debian's, driven by playwright-core), logged in as the admin. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { NodeRed } from '../../dev/node-red-process';
import { PASSWORD } from '../admin/setup';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Node-RED settings for the browser tests: ace, Node-RED's other code editor, instead of monaco,
 * which loads a TypeScript worker and Node's typings with every editor page (2 s of CPU each). No
 * dialog of ours holds a code editor; editor-sign-in keeps monaco, as users have it.
 */
export const ACE_EDITOR = { editorTheme: { codeEditor: { lib: 'ace' } } };

export interface EditorPage {
  page: Page;
  /** Everything the browser received: HTTP bodies and websocket frames (a token must be in none). */
  received: string[];
}

export interface EditorOptions {
  /** The browser's language (navigator.language), from which Node-RED picks the editor's: "en-US" unless set. */
  locale?: string;
  /**
   * Playwright's clock in the page, for a test that moves time (page.clock.fastForward). Only
   * there: its timers run as JavaScript in the page, a second of CPU more per editor loaded.
   */
  clock?: boolean;
}

/** One Chromium per test file: each editor gets a context of its own (storage, locale, clock). */
let launched: Promise<Browser> | undefined;

function browser(): Promise<Browser> {
  launched ??= chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      // Without the background-networking flags Chromium tries hosts this closed network refuses.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      // Headless Chromium still renders the address bar's suggestion list, a page of its own (1 s of CPU).
      '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup',
    ],
  });
  return launched;
}

/** Closes the file's Chromium, and with it every editor page: for the file's `after` hook. */
export async function closeBrowser(): Promise<void> {
  const closing = launched;
  launched = undefined;
  await closing?.then((running) => running.close()).catch(() => undefined);
}

/**
 * How often a wait looks at the page again. Playwright's default, every animation frame, has
 * headless Chromium draw 60 frames a second in software while a test waits.
 */
const POLL_MS = 50;

/** Waits until `predicate` holds in the page (looked at every POLL_MS). */
export async function waitInPage<Arg>(page: Page, predicate: (arg: Arg) => unknown, arg: Arg, timeout = 20_000): Promise<void> {
  // Playwright's own type maps the argument as it arrives in the page: ours are plain values.
  await page.waitForFunction(predicate as (arg: unknown) => unknown, arg, { timeout, polling: POLL_MS });
}

/**
 * Waits until the trimmed text of `selector` matches `expected` (a string: what it starts with)
 * and returns it. A failure says what was shown, and `detail()` when given.
 */
export async function waitForText(
  page: Page,
  selector: string,
  expected: string | RegExp,
  { timeout = 20_000, detail }: { timeout?: number; detail?: () => string } = {},
): Promise<string> {
  const pattern = typeof expected === 'string' ? `^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` : expected.source;
  await waitInPage(
    page,
    ([where, source]) => new RegExp(source).test(document.querySelector(where)?.textContent?.trim() ?? ''),
    [selector, pattern] as const,
    timeout,
  ).catch(async (error) => {
    throw new Error(`${error}; ${selector}: "${await textOf(page, selector)}"${detail ? `; ${detail()}` : ''}`);
  });
  return textOf(page, selector);
}

/**
 * Files that hold nothing of the runtime's, only what is installed: Node-RED's own editor, and the
 * nodes' definitions, catalogs and icons. Their bodies are not kept (820 KB a page, half a second
 * of CPU to copy out of the browser).
 */
const EDITOR_FILES = /^\/(vendor|red|types|icons|locales|nodes)(\/|$)/;

/**
 * Opens the editor of `red` as its login form would leave it, once `readySelector` shows and the
 * deployed flows are in. With `clock`, the page's clock is Playwright's: it runs as usual until a
 * test moves it (page.clock.fastForward). Trays slide and notices fade at once, as with "reduce
 * motion": drawn frame by frame in software, the slides took 40 % of the CPU of opening and
 * closing a dialog. The editor's context closes with the browser (closeBrowser).
 */
export async function openEditor(red: NodeRed, readySelector: string, options: EditorOptions = {}): Promise<EditorPage> {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  const login = await red.admin('POST', '/auth/token', {
    client_id: 'node-red-editor',
    grant_type: 'password',
    scope: '*',
    username: 'admin',
    password: PASSWORD,
  });
  const tokens = await login.json();
  const context = await (await browser()).newContext({ viewport: { width: 1400, height: 900 }, locale: options.locale ?? 'en-US' });
  const page = await context.newPage();
  if (options.clock) await page.clock.install();
  await page.addInitScript((value) => localStorage.setItem('auth-tokens', value), JSON.stringify(tokens));
  await page.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const still = document.createElement('style');
      still.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
      document.head.append(still);
      (window as any).jQuery.fx.off = true;
    });
  });
  const received: string[] = [];
  page.on('response', (response) => {
    if (EDITOR_FILES.test(new URL(response.url()).pathname)) return;
    response.body().then(
      (body) => received.push(body.toString('utf8')),
      () => undefined,
    );
  });
  page.on('websocket', (socket) => socket.on('framereceived', (frame) => received.push(String(frame.payload))));
  await page.goto(red.url);
  await page.waitForSelector(readySelector, { timeout: 60_000 });
  // The palette is drawn before the flows are in: until they are, editing a deployed node by its id
  // makes a new one. Node-RED ends its loader once the flows are imported and its notices subscribed.
  await waitInPage(page, () => (window as any).RED.nodes.version() != null && !(window as any).$('#red-ui-loading-progress').is(':visible'), undefined, 60_000);
  return { page, received };
}

/**
 * Every text the open dialogs and notices show (visible text, titles, placeholders, alt texts)
 * has its values filled in and comes from a catalog: no `__name__` left, no key shown instead of
 * its text.
 */
export async function assertTextsFilled(page: Page, where: string): Promise<void> {
  const shown = await page.evaluate(() => {
    const texts: string[] = [];
    for (const root of Array.from(document.querySelectorAll<HTMLElement>('.red-ui-tray, .red-ui-notification'))) {
      texts.push(root.innerText);
      for (const element of Array.from(root.querySelectorAll('[title], [placeholder], [alt]'))) {
        for (const name of ['title', 'placeholder', 'alt']) texts.push(element.getAttribute(name) ?? '');
      }
    }
    return texts.join('\n');
  });
  assert.ok(shown.trim(), `${where}: nothing shown`);
  assert.deepEqual(shown.match(/__\w+__/g) ?? [], [], `${where}: unfilled placeholders in:\n${shown}`);
  assert.deepEqual(shown.match(/\bplex-(?:account|server|auth)\.[\w.-]+/g) ?? [], [], `${where}: catalog keys instead of texts in:\n${shown}`);
}

/**
 * Closes every open edit dialog with its Cancel button, the top one first, each time waiting
 * until that dialog is gone (its closing slide takes longer on a busy machine). Only the top
 * dialog is in the page: Node-RED takes the one beneath out while another is stacked on it.
 */
export async function cancelDialogs(page: Page): Promise<void> {
  while (await page.locator('.red-ui-tray').count()) {
    const top = page.locator('.red-ui-tray').last();
    const closing = await top.elementHandle();
    await top
      .locator('button', { hasText: /^\s*(Cancel|Abbrechen)\s*$/ })
      .first()
      .click();
    await page.waitForFunction((tray) => !tray?.isConnected, closing, { polling: POLL_MS });
  }
}

/**
 * Presses Deploy (confirming, when Node-RED asks because a node is not fully set up) and waits
 * until the flows have started again.
 */
export async function deployFromEditor(page: Page, red: NodeRed): Promise<void> {
  const started = () => (red.output().match(/Started flows/g) ?? []).length;
  const before = started();
  const posted = page.waitForRequest((request) => request.method() === 'POST' && new URL(request.url()).pathname === '/flows', { timeout: 20_000 });
  await page.click('#red-ui-header-button-deploy');
  const confirm = page.getByRole('button', { name: 'Confirm deploy' });
  const asked = confirm.waitFor({ timeout: 20_000 }).then(
    () => true,
    () => false, // deployed without asking
  );
  if (await Promise.race([asked, posted.then(() => false)])) await confirm.click();
  await posted;
  const until = Date.now() + 20_000;
  while (started() <= before) {
    assert.ok(Date.now() < until, `deploy did not start the flows:\n${red.output().slice(-1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The trimmed text of an element. */
export async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector)) ?? '').trim();
}
