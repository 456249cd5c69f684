/**
 * Admin routes behind the plex-account dialog: Sign in with Plex, the sign-in's progress,
 * Check, Sign out, Move to JWT / Back to classic, and linking a TV's code. They act on
 * plex-account nodes only (openAccount), and a token only ever goes to the plex.tv URL it
 * belongs to, never to one named in a request. Every handler answers JSON and catches its own
 * errors.
 */
import type { NodeAPI } from 'node-red';
import type { Request } from 'express';
import QRCode from 'qrcode';
import {
  DEFAULT_DEVICE_NAME,
  DEFAULT_PLEX_TV_URL,
  DEFAULT_PRODUCT,
  HttpClient,
  PlexError,
  PlexTvClient,
  normaliseBaseUrl,
  type AccountState,
} from '../../src/core';
import { t } from '../lib/i18n';
import type { RequestHandler } from 'express';
import { NODE_ID, RouteError, serve } from './http';
import { adminRoutes, type AccountState as ShownState, type AdminRoute } from './contract';
import { openAccount, rememberDialogSignIn, type OpenedAccount } from './accounts';
import { SignInSessions, type PlexTvTarget, type SignIn } from './sign-in-session';

const PIN_ID = /^\d{1,32}$/;
const KEY_DEVICE_ID = /^[A-Za-z0-9._-]{1,100}$/;
/** Longest client identifier, product and device name taken from the dialog. */
const MAX_TEXT = 200;
const MAX_URL = 1000;

/** What the dialog may know of an account: never a token or a key. */
function shownState(state: AccountState): ShownState {
  const { keyDevice, lastCheck } = state;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    signedIn: state.signedIn,
    auth: state.auth,
    legacyJwt: state.legacyJwt,
    signInNeeded: state.signInNeeded,
    lastCheck: lastCheck ? { at: new Date(lastCheck.at).toISOString(), ...lastCheck.result } : null,
    keyDevice: {
      state: keyDevice.state,
      clientIdentifier: keyDevice.clientIdentifier ?? null,
      expiresAt: iso(keyDevice.expiresAt),
      error: keyDevice.error ?? null,
      retryAt: iso(keyDevice.retryAt),
    },
  };
}

export function registerAccountRoutes(RED: NodeAPI): void {
  const sessions = new SignInSessions(
    (text) => RED.log.warn(text),
    (message) => t(RED, 'admin.user-unknown', { message }),
  );

  function accountId(req: Request): string {
    const id = String(req.params.id ?? '');
    if (!NODE_ID.test(id)) throw new RouteError(400, t(RED, 'admin.bad-account-id'));
    return id;
  }

  function bodyOf(req: Request): Record<string, unknown> {
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new RouteError(400, t(RED, 'admin.bad-body'));
    return body as Record<string, unknown>;
  }

  /** The identity and plex.tv URL the dialog shows now: the account may not be deployed yet, or be edited since. */
  function targetFromBody(req: Request): PlexTvTarget {
    const body = bodyOf(req);
    const text = (field: string, max: number, fallback: string): string => {
      const value = body[field];
      if (typeof value !== 'string' || !value.trim()) return fallback;
      // Cut short, an identifier or a URL would silently name another one.
      if (value.length > max) throw new RouteError(400, t(RED, 'admin.too-long', { field, max }));
      return value.trim();
    };
    const clientIdentifier = text('clientIdentifier', MAX_TEXT, '');
    if (!clientIdentifier) throw new RouteError(400, t(RED, 'admin.no-client-identifier'));
    return {
      identity: { clientIdentifier, product: text('product', MAX_TEXT, DEFAULT_PRODUCT), deviceName: text('deviceName', MAX_TEXT, DEFAULT_DEVICE_NAME) },
      url: text('plexTvUrl', MAX_URL, DEFAULT_PLEX_TV_URL),
    };
  }

  /** Runs a handler with the account opened, and lets go of it after. */
  async function withAccount<T>(req: Request, use: (opened: OpenedAccount) => Promise<T>): Promise<T> {
    const opened = openAccount(RED, accountId(req));
    try {
      await opened.account.ready;
      return await use(opened);
    } finally {
      opened.close();
    }
  }

  function signInOf(req: Request): SignIn {
    const pinId = String(req.params.pinId ?? '');
    if (!PIN_ID.test(pinId)) throw new RouteError(400, t(RED, 'admin.bad-pin-id'));
    return sessions.find(accountId(req), pinId, () => new RouteError(404, t(RED, 'admin.unknown-pin')));
  }

  /** The QR code of the auth URL; null when the URL is too long for one: the link and the code still work. */
  async function qrCodeOf(authUrl: string): Promise<string | null> {
    try {
      const svg = await QRCode.toString(authUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
      return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
    } catch (error) {
      RED.log.warn(`plex-account sign-in: no QR code: ${(error as Error).message}`);
      return null;
    }
  }

  /**
   * The token a sign-in brought goes to the account it was made for, as it is now: into a
   * running or stopped account only when that account still signs in where the PINs were made;
   * into the credentials of an undeployed one, remembered with where it came from.
   */
  function keeper(id: string) {
    return async (token: string, signIn: SignIn) => {
      const opened = openAccount(RED, id, { undeployed: signIn.target });
      try {
        await opened.account.ready;
        if (opened.form !== 'undeployed' && !sameTarget(opened.target, signIn.target)) throw new RouteError(409, t(RED, 'admin.target-changed'));
        opened.account.signIn(token);
        if (opened.form === 'undeployed') rememberDialogSignIn(id, signIn.target, token);
      } finally {
        opened.close();
      }
    };
  }

  const sameTarget = (a: PlexTvTarget, b: PlexTvTarget) =>
    a.identity.clientIdentifier === b.identity.clientIdentifier && normaliseBaseUrl(a.url, 'plex.tv URL').href === normaliseBaseUrl(b.url, 'plex.tv URL').href;

  const route = <Answer>(contract: AdminRoute<string, unknown, Answer>, permission: RequestHandler) => serve(RED, 'plex-account', contract, permission);
  const read = RED.auth.needsPermission('plex-account.read');
  const write = RED.auth.needsPermission('plex-account.write');

  /** The account's state for the dialog: signed in, "sign-in needed", the last check, the key device. */
  route(adminRoutes.accountState, read)((req) => withAccount(req, async ({ account }) => shownState(account.state())));

  /**
   * Starts a sign-in: a strong PIN and a 4-character one, classic, on the account's own
   * identifier. A deployed account signs in where it is deployed: a dialog showing another
   * plex.tv URL is told to deploy that first.
   */
  route(
    adminRoutes.startSignIn,
    write,
  )(async (req) => {
    const id = accountId(req);
    const asked = targetFromBody(req);
    let askedUrl: string;
    try {
      askedUrl = normaliseBaseUrl(asked.url, 'plex.tv URL').href;
    } catch (error) {
      throw new RouteError(400, (error as Error).message);
    }
    const opened = openAccount(RED, id, { undeployed: asked });
    opened.close();
    if (opened.form !== 'undeployed' && askedUrl !== normaliseBaseUrl(opened.target.url, 'plex.tv URL').href)
      throw new RouteError(409, t(RED, 'admin.deploy-url-first'));
    const target = opened.form === 'undeployed' ? asked : opened.target;
    const http = new HttpClient();
    try {
      const plexTv = new PlexTvClient(target.identity, http, target.url);
      const strong = (await plexTv.createPin({ strong: true })).value;
      // plex.tv/link only takes 4-character codes: a second PIN for people who sign in on another device.
      const link = await plexTv.createPin({ strong: false }).then(
        (pin) => pin.value,
        () => undefined,
      );
      // The dialog's link and QR code lead to plex.tv's approval page, or a stand-in's own.
      const authUrl = plexTv.approvalPageOf(strong);
      const qrSvg = await qrCodeOf(authUrl);
      // Last: nothing that can fail comes after the polling starts.
      sessions.start(id, target, plexTv, http, link ? [strong, link] : [strong], keeper(id));
      return {
        pinId: strong.id,
        authUrl,
        qrSvg,
        expiresAt: strong.expiresAt,
        code: link?.code ?? null,
        linkUrl: link ? plexTv.approvalPageOf(link) : null,
        linkExpiresAt: link?.expiresAt ?? null,
      };
    } catch (error) {
      http.close();
      throw error instanceof PlexError ? new RouteError(502, t(RED, 'admin.plex-tv-failed', { message: error.message })) : error;
    }
  });

  route(
    adminRoutes.signInProgress,
    write,
  )(async (req) => {
    const { state, username, message } = signInOf(req);
    return { state, username: username ?? null, message: message ?? null };
  });

  route(
    adminRoutes.cancelSignIn,
    write,
  )(async (req) => {
    const signIn = signInOf(req);
    sessions.cancel(signIn);
    return { state: signIn.state };
  });

  /** Asks plex.tv now whether it takes the account's token; a running account records the answer for its nodes too. */
  route(adminRoutes.checkToken, write)((req) => withAccount(req, async ({ account }) => (await account.checkToken()) ?? { state: 'signed-out' as const }));

  route(
    adminRoutes.signOut,
    write,
  )((req) =>
    withAccount(req, async ({ account }) => {
      account.signOut();
      return shownState(account.state());
    }),
  );

  /**
   * "Move to JWT" (or "Try again"): makes the account's key device now, with its classic token,
   * which keeps working. The dialog then saves auth "jwt" and the key device's identifier.
   */
  route(
    adminRoutes.moveToJwt,
    write,
  )((req) =>
    withAccount(req, async ({ account }) => {
      const asked = bodyOf(req).jwtClientIdentifier;
      if (asked !== undefined && asked !== '' && (typeof asked !== 'string' || !KEY_DEVICE_ID.test(asked)))
        throw new RouteError(400, t(RED, 'admin.bad-key-device-id'));
      if (!account.signedIn) throw new RouteError(409, t(RED, 'admin.not-signed-in'));
      try {
        await account.moveToJwt(asked || undefined);
      } catch (error) {
        throw error instanceof PlexError ? new RouteError(502, t(RED, 'admin.move-failed', { message: error.message })) : error;
      }
      return shownState(account.state());
    }),
  );

  /** "Back to classic": forgets the key device; the classic token goes on. */
  route(
    adminRoutes.backToStandard,
    write,
  )((req) =>
    withAccount(req, async ({ account }) => {
      await account.backToClassic();
      return shownState(account.state());
    }),
  );

  /** Links the code a TV or app shows to the account (what plex.tv/link does), from the dialog. */
  route(
    adminRoutes.linkCode,
    write,
  )((req) =>
    withAccount(req, async ({ account }) => {
      const { code } = bodyOf(req);
      try {
        return await account.withPlexTvToken((token, plexTv) => plexTv.linkCode(code, token));
      } catch (error) {
        if (error instanceof PlexError && error.kind === 'input') throw new RouteError(400, error.message);
        throw error;
      }
    }),
  );
}
