/**
 * Admin routes behind the plex-account dialog's "Sign in with Plex", "Check" and "Sign out".
 * The runtime makes and polls the PIN; the token stays here (a credential of the node) and
 * never goes to the browser. The routes act on plex-account nodes only, and a stored token
 * only ever goes to the account's own plex.tv URL, never to one named in a request.
 * Every handler answers JSON and catches its own errors.
 */
import type { NodeAPI } from 'node-red';
import type { Request, RequestHandler } from 'express';
import QRCode from 'qrcode';
import {
  DEFAULT_DEVICE_NAME, DEFAULT_PLEX_TV_URL, DEFAULT_PRODUCT, DeviceKey, HttpClient, PinPoller, PlexError, PlexTvClient, checkToken,
  type ClientIdentity, type NewPin, type PollOutcome,
} from '../../src/core';
import { PinDeviceJwts, createAccountPin } from './key-pins';
import { plexJwtTimes } from './plex-jwt-times';
import type { PlexAccountConfig, PlexAccountNode, TokenCredentials } from './types';
import { t } from './i18n';
import { NODE_ID, RouteError, deployedConfig, serve } from './admin-http';
import { adminRoutes, type AdminRoute, type SignInState as SessionState } from '../admin/contract';

/** Whom plex.tv is asked as, and where. */
export interface PlexTvTarget {
  identity: ClientIdentity;
  url: string;
}

interface SignIn {
  accountId: string;
  /** The strong PIN and, when plex.tv gave one, the 4-character PIN: the ids the dialog may follow. */
  pinIds: number[];
  /** Where the PINs were made: the token they bring is checked there while the account is not deployed. */
  target: PlexTvTarget;
  plexTv: PlexTvClient;
  http: HttpClient;
  /** Each sign-in polls its own PINs: two plex.tv URLs may hand out the same PIN ids. */
  poller: PinPoller;
  /** The PINs made with the device key: polled with a device JWT of their own. */
  pinsWithKey: Set<number>;
  expiresAt: string;
  state: SessionState;
  /** When the dialog last asked for the status: a closed browser tab sends no DELETE. */
  lastSeen: number;
  username?: string;
  message?: string;
}

/** A plex-account as the routes find it: running, only deployed (flows stopped), or signed in from the dialog before its first Deploy. */
interface Account {
  id: string;
  node?: PlexAccountNode;
  config?: PlexAccountConfig;
  /** Where the dialog signed in an account that is not deployed. */
  signedInAt?: PlexTvTarget;
}

const ACCOUNT_TYPE = 'plex-account';

/** How a sign-in makes its PINs: with the device key (auth "jwt") or classic. */
type KeyUse = Parameters<typeof createAccountPin>[0];
/** How often the runtime asks plex.tv about a PIN being approved from the dialog. */
const POLL_INTERVAL_MS = 2000;
/** How long a finished sign-in still answers the dialog's status request. */
const KEEP_FINISHED_MS = 10 * 60 * 1000;
/** A sign-in nobody asks about for this long is given up: the dialog is gone. */
const ABANDONED_MS = 60_000;
const PIN_ID = /^\d{1,32}$/;
/** Longest client identifier, product and device name taken from the dialog. */
const MAX_TEXT = 200;
const MAX_URL = 1000;

/**
 * Accounts signed in from the dialog, with where: the only plex.tv their token may go to until
 * they are deployed (the server dialog's "Find servers" asks there too).
 */
export const dialogSignIns = new Map<string, PlexTvTarget>();

export function registerAdminRoutes(RED: NodeAPI): void {
  /** The current (or recently finished) sign-in of each account: one at a time per account. */
  const signIns = new Map<string, SignIn>();

  function startSignIn(accountId: string, target: PlexTvTarget, plexTv: PlexTvClient, http: HttpClient, pins: NewPin[], withKey: KeyUse): SignIn {
    const deviceJwts = new PinDeviceJwts(() => plexTv, withKey.deviceKey);
    const signIn: SignIn = {
      accountId,
      pinIds: pins.map((pin) => pin.id),
      target,
      plexTv,
      http,
      pinsWithKey: withKey.pinsWithKey,
      poller: new PinPoller({
        check: (id, signal) => {
          if (Date.now() - signIn.lastSeen > ABANDONED_MS) {
            end(signIn, 'cancelled');
            return Promise.reject(new PlexError(`PIN ${id} is no longer wanted`, { kind: 'input' }));
          }
          return signIn.pinsWithKey.has(id) ? deviceJwts.check(id, signal) : plexTv.checkPin(id, signal);
        },
        onOutcome: (outcome) => {
          finishWith(signIn, outcome).catch((error: unknown) => RED.log.warn(`plex-account sign-in: ${String(error)}`));
        },
        onWarning: (text) => RED.log.warn(`plex-account sign-in: ${text}`),
      }),
      expiresAt: pins[0].expiresAt,
      state: 'waiting',
      lastSeen: Date.now(),
    };
    const previous = signIns.get(accountId);
    if (previous) end(previous, 'cancelled');
    signIns.set(accountId, signIn);
    for (const pin of pins) signIn.poller.add({ id: pin.id, intervalMs: POLL_INTERVAL_MS, expiresAt: Date.parse(pin.expiresAt) });
    return signIn;
  }

  function end(signIn: SignIn, state: SessionState, fields: Partial<SignIn> = {}): void {
    if (signIn.state !== 'waiting') return;
    Object.assign(signIn, fields, { state });
    signIn.poller.stop();
    signIn.http.close();
    setTimeout(() => signIns.get(signIn.accountId) === signIn && signIns.delete(signIn.accountId), KEEP_FINISHED_MS).unref();
  }

  async function finishWith(signIn: SignIn, outcome: PollOutcome): Promise<void> {
    if (signIn.state !== 'waiting') return;
    if (outcome.kind === 'ended') {
      // Either PIN ending alone does not end the sign-in while the other can still be approved.
      const others = signIn.pinIds.some((id) => signIn.poller.has(id));
      if (outcome.reason !== 'cancelled' && others) return;
      end(signIn, outcome.reason === 'cancelled' ? 'cancelled' : 'expired');
      return;
    }
    if (outcome.kind === 'failed') {
      end(signIn, 'failed', { message: outcome.error.message });
      return;
    }
    signIn.poller.stop(); // the other PIN: one token per sign-in
    try {
      keepToken(findAccount(signIn.accountId, { undeployed: true }), outcome.pin.authToken!);
    } catch (error) {
      end(signIn, 'failed', { message: (error as Error).message });
      return;
    }
    dialogSignIns.set(signIn.accountId, signIn.target);
    let username: string | undefined;
    let message: string | undefined;
    try {
      username = (await signIn.plexTv.getUser(outcome.pin.authToken!)).value.username;
    } catch (error) {
      message = t(RED, 'admin.user-unknown', { message: (error as Error).message });
    }
    end(signIn, 'approved', { username, message });
  }

  /**
   * The plex-account with this id. Another node's id is answered as an unknown one (404), and so
   * is an id that is not deployed, unless `undeployed` (a new account signing in from the dialog)
   * or the dialog has signed it in.
   */
  function findAccount(id: string, { undeployed }: { undeployed: boolean }): Account {
    const node = RED.nodes.getNode(id) as PlexAccountNode | null;
    const config = deployedConfig(RED, id);
    const unknown = () => new RouteError(404, t(RED, 'admin.unknown-account'));
    if ((node && node.type !== ACCOUNT_TYPE) || (config && config.type !== ACCOUNT_TYPE)) throw unknown();
    if (node || config) return { id, node: node ?? undefined, config: config as PlexAccountConfig | undefined };
    const signedInAt = dialogSignIns.get(id);
    if (!signedInAt && !undeployed) throw unknown();
    return { id, signedInAt };
  }

  /** The account's device key: the running node's, else kept in the runtime's credentials (made here when first needed). */
  async function deviceKeyOf(account: Account): Promise<DeviceKey> {
    if (account.node) return account.node.deviceKey();
    const credentials = (RED.nodes.getCredentials(account.id) as TokenCredentials | undefined) ?? {};
    if (credentials.privateKey) return DeviceKey.fromPrivateKey(credentials.privateKey);
    const key = await DeviceKey.generate();
    RED.nodes.addCredentials(account.id, { ...credentials, privateKey: key.exportPrivateKey() });
    return key;
  }

  /** What the dialog may know of the token: its kind and until when it is valid (never the token). */
  async function tokenKindOf(account: Account): Promise<{ tokenKind: 'jwt' | 'classic' | null; expiresAt: string | null }> {
    const token = tokenOf(account);
    if (!token) return { tokenKind: null, expiresAt: null };
    const expiresAt = account.node?.tokenExpiresAt() ?? (await plexJwtTimes(token))?.expiresAt;
    return expiresAt === undefined ? { tokenKind: 'classic', expiresAt: null } : { tokenKind: 'jwt', expiresAt: new Date(expiresAt).toISOString() };
  }

  function tokenOf(account: Account): string | undefined {
    if (account.node) return account.node.token();
    return (RED.nodes.getCredentials(account.id) as TokenCredentials | undefined)?.token || undefined;
  }

  function keepToken(account: Account, token: string | undefined): void {
    if (account.node) {
      if (token) account.node.storeToken(token);
      else account.node.forgetToken();
      return;
    }
    const { token: _previous, ...others } = (RED.nodes.getCredentials(account.id) as TokenCredentials | undefined) ?? {};
    RED.nodes.addCredentials(account.id, token ? { ...others, token } : others);
  }

  /** The account's own plex.tv, the only one its token goes to: never a URL named in the request. */
  function ownPlexTv(account: Account, http: HttpClient, req: Request): PlexTvClient {
    if (account.node?.plexTv) return account.node.plexTv;
    let target = account.signedInAt;
    if (account.config) {
      const { clientIdentifier, product, deviceName, plexTvUrl } = account.config;
      target = {
        // Flows stopped: the identity as the node would make it; one written by hand may lack the client identifier.
        identity: account.node?.identity ?? {
          clientIdentifier: clientIdentifier?.trim() || targetFromBody(req).identity.clientIdentifier,
          product: product?.trim() || DEFAULT_PRODUCT,
          deviceName: deviceName?.trim() || DEFAULT_DEVICE_NAME,
        },
        url: plexTvUrl || DEFAULT_PLEX_TV_URL,
      };
    }
    if (!target) throw new RouteError(409, t(RED, 'admin.no-plex-tv-url'));
    try {
      return new PlexTvClient(target.identity, http, target.url);
    } catch (error) {
      throw new RouteError(409, t(RED, 'admin.plex-tv-url-unusable', { message: (error as Error).message }));
    }
  }

  function accountId(req: Request): string {
    const id = String(req.params.id ?? '');
    if (!NODE_ID.test(id)) throw new RouteError(400, t(RED, 'admin.bad-account-id'));
    return id;
  }

  /** The identity and plex.tv URL the dialog shows now: the node may not be deployed yet, or be edited since. */
  function targetFromBody(req: Request): PlexTvTarget {
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new RouteError(400, t(RED, 'admin.bad-body'));
    const text = (field: string, max: number, fallback: string): string => {
      const value = (body as Record<string, unknown>)[field];
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

  function signInOf(req: Request, id: string): SignIn {
    const given = String(req.params.pinId ?? '');
    if (!PIN_ID.test(given)) throw new RouteError(400, t(RED, 'admin.bad-pin-id'));
    const signIn = signIns.get(id);
    // Compared as text: any id the sign-in handed out is followed, however long. Another account's PIN is answered as unknown.
    if (!signIn || !signIn.pinIds.some((pinId) => String(pinId) === given)) throw new RouteError(404, t(RED, 'admin.unknown-pin'));
    return signIn;
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

  const route = <Answer>(contract: AdminRoute<string, unknown, Answer>, permission: RequestHandler) => serve(RED, 'plex-account', contract, permission);

  const read = RED.auth.needsPermission('plex-account.read');
  const write = RED.auth.needsPermission('plex-account.write');

  /** The token's state for the dialog: signed in, refused by plex.tv or a server ("sign-in needed"), and the last check. */
  route(adminRoutes.accountState, read)(async (req) => {
    const account = findAccount(accountId(req), { undeployed: false });
    const health = account.node?.tokenHealth;
    const lastCheck = health?.lastCheck;
    return {
      signedIn: Boolean(tokenOf(account)),
      ...(await tokenKindOf(account)),
      signInNeeded: health?.signInNeeded ?? false,
      lastCheck: lastCheck ? { at: new Date(lastCheck.at).toISOString(), ...lastCheck.result } : null,
    };
  });

  route(adminRoutes.startSignIn, write)(async (req) => {
    const id = accountId(req);
    const account = findAccount(id, { undeployed: true });
    const target = targetFromBody(req);
    const http = new HttpClient();
    try {
      let plexTv: PlexTvClient;
      try {
        plexTv = new PlexTvClient(target.identity, http, target.url);
      } catch (error) {
        throw new RouteError(400, (error as Error).message);
      }
      // As the dialog is set now: "jwt" signs in with the device key, which the runtime makes and keeps.
      const withKey: KeyUse = { auth: (req.body as { auth?: unknown }).auth === 'jwt' ? 'jwt' : 'token', deviceKey: () => deviceKeyOf(account), pinsWithKey: new Set() };
      let warning: string | null = null;
      const refused = (error: PlexError) => (warning ??= t(RED, 'admin.key-pin-refused', { message: error.message }));
      const strong = (await createAccountPin(withKey, plexTv, { strong: true }, refused)).value;
      // plex.tv/link only takes 4-character codes: a second PIN for people who sign in on another device.
      const link = await createAccountPin(withKey, plexTv, { strong: false }, refused).then((pin) => pin.value, () => undefined);
      const qrSvg = await qrCodeOf(strong.authUrl);
      // Last: nothing that can fail comes after the polling starts.
      startSignIn(id, target, plexTv, http, link ? [strong, link] : [strong], withKey);
      return {
        pinId: strong.id,
        authUrl: strong.authUrl,
        qrSvg,
        code: link?.code ?? null,
        linkUrl: link?.authUrl ?? null,
        linkExpiresAt: link?.expiresAt ?? null,
        expiresAt: strong.expiresAt,
        tokenKind: withKey.pinsWithKey.has(strong.id) ? 'jwt' : 'classic',
        warning,
      };
    } catch (error) {
      http.close();
      throw error instanceof PlexError ? new RouteError(502, t(RED, 'admin.plex-tv-failed', { message: error.message })) : error;
    }
  });

  /**
   * Moves an account holding a classic token to JWT: registers the device key with that token,
   * then one exchange. Only on the user's click (Plex may retire the classic token after it).
   */
  route(adminRoutes.moveToJwt, write)(async (req) => {
    const account = findAccount(accountId(req), { undeployed: false });
    const held = await tokenKindOf(account);
    if (held.tokenKind === null) throw new RouteError(409, t(RED, 'admin.not-signed-in'));
    if (held.tokenKind === 'jwt') return held;
    const http = new HttpClient();
    try {
      const plexTv = ownPlexTv(account, http, req);
      const key = await deviceKeyOf(account);
      const jwt = await (async () => {
        await plexTv.registerDeviceKey(tokenOf(account)!, key.publicJwk);
        return plexTv.obtainPlexJwt(key);
      })().catch((error: unknown) => {
        throw error instanceof PlexError ? new RouteError(502, t(RED, 'admin.move-failed', { message: error.message })) : error;
      });
      keepToken(account, jwt.token);
      return { tokenKind: 'jwt', expiresAt: new Date(jwt.expiresAt).toISOString() };
    } finally {
      http.close();
    }
  });

  route(adminRoutes.signInProgress, write)(async (req) => {
    const signIn = signInOf(req, accountId(req));
    signIn.lastSeen = Date.now();
    const { state, username, message, expiresAt } = signIn;
    return { state, username, message, expiresAt };
  });

  route(adminRoutes.cancelSignIn, write)(async (req) => {
    const signIn = signInOf(req, accountId(req));
    end(signIn, 'cancelled');
    return { state: signIn.state };
  });

  route(adminRoutes.checkToken, write)(async (req) => {
    const account = findAccount(accountId(req), { undeployed: false });
    // A running account records the answer: its flow nodes and the dialog show the same state.
    if (account.node?.plexTv) return (await account.node.checkToken()) ?? { state: 'signed-out' };
    const token = tokenOf(account);
    if (!token) return { state: 'signed-out' };
    const http = new HttpClient();
    try {
      return await checkToken(ownPlexTv(account, http, req), token);
    } finally {
      http.close();
    }
  });

  route(adminRoutes.signOut, write)(async (req) => {
    keepToken(findAccount(accountId(req), { undeployed: false }), undefined);
    return { signedIn: false };
  });
}
