/**
 * Admin routes behind the plex-account dialog's "Sign in with Plex", "Check" and "Sign out".
 * The runtime makes and polls the PIN; the token stays here (a credential of the node) and
 * never goes to the browser. Every handler answers JSON and catches its own errors.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response, RequestHandler } from 'express';
import QRCode from 'qrcode';
import { DEFAULT_DEVICE_NAME, DEFAULT_PLEX_TV_URL, DEFAULT_PRODUCT, HttpClient, PinPoller, PlexError, PlexTvClient, type PollOutcome } from '../../src/core';
import type { PlexAccountNode, TokenCredentials } from './types';
import { t } from './i18n';

type SessionState = 'waiting' | 'approved' | 'expired' | 'cancelled' | 'failed';

interface SignIn {
  accountId: string;
  pinIds: number[];
  plexTv: PlexTvClient;
  http: HttpClient;
  expiresAt: string;
  state: SessionState;
  /** When the dialog last asked for the status: a closed browser tab sends no DELETE. */
  lastSeen: number;
  username?: string;
  message?: string;
}

/** How often the runtime asks plex.tv about a PIN being approved from the dialog. */
const POLL_INTERVAL_MS = 2000;
/** How long a finished sign-in still answers the dialog's status request. */
const KEEP_FINISHED_MS = 10 * 60 * 1000;
/** A sign-in nobody asks about for this long is given up: the dialog is gone. */
const ABANDONED_MS = 60_000;
const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;

class RouteError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function registerAdminRoutes(RED: NodeAPI): void {
  /** Every PIN being polled (strong and 4-character) points at its sign-in. */
  const signIns = new Map<number, SignIn>();
  const poller = new PinPoller({
    check: (id, signal) => {
      const signIn = signIns.get(id);
      if (!signIn) return Promise.reject(new PlexError(`PIN ${id} is no longer wanted`, { kind: 'input' }));
      if (Date.now() - signIn.lastSeen > ABANDONED_MS) {
        end(signIn, 'cancelled');
        return Promise.reject(new PlexError(`PIN ${id} is no longer wanted`, { kind: 'input' }));
      }
      return signIn.plexTv.checkPin(id, signal);
    },
    onOutcome: (outcome) => {
      finishWith(outcome).catch((error: unknown) => RED.log.warn(`plex-account sign-in: ${String(error)}`));
    },
    onWarning: (text) => RED.log.warn(`plex-account sign-in: ${text}`),
  });

  function end(signIn: SignIn, state: SessionState, fields: Partial<SignIn> = {}): void {
    if (signIn.state !== 'waiting') return;
    Object.assign(signIn, fields, { state });
    for (const id of signIn.pinIds) poller.cancel(id); // the other PIN; its "cancelled" outcome is ignored below
    signIn.http.close();
    setTimeout(() => signIn.pinIds.forEach((id) => signIns.get(id) === signIn && signIns.delete(id)), KEEP_FINISHED_MS).unref();
  }

  async function finishWith(outcome: PollOutcome): Promise<void> {
    const signIn = signIns.get(outcome.id);
    if (!signIn || signIn.state !== 'waiting') return;
    if (outcome.kind === 'ended') {
      // Either PIN ending alone does not end the sign-in while the other can still be approved.
      const others = signIn.pinIds.filter((id) => id !== outcome.id && poller.has(id));
      if (outcome.reason !== 'cancelled' && others.length) return;
      end(signIn, outcome.reason === 'cancelled' ? 'cancelled' : 'expired');
      return;
    }
    if (outcome.kind === 'failed') {
      end(signIn, 'failed', { message: outcome.error.message });
      return;
    }
    const token = outcome.pin.authToken!;
    storeToken(signIn.accountId, token);
    let username: string | undefined;
    let message: string | undefined;
    try {
      username = (await signIn.plexTv.getUser(token)).value.username;
    } catch (error) {
      message = t(RED, 'admin.user-unknown', { message: (error as Error).message });
    }
    end(signIn, 'approved', { username, message });
  }

  function accountNode(id: string): PlexAccountNode | undefined {
    const node = RED.nodes.getNode(id) as PlexAccountNode | null;
    return node && typeof node.storeToken === 'function' ? node : undefined;
  }

  function storedToken(id: string): string | undefined {
    const node = accountNode(id);
    if (node) return node.token();
    return (RED.nodes.getCredentials(id) as TokenCredentials | undefined)?.token || undefined;
  }

  function storeToken(id: string, token: string | undefined): void {
    const node = accountNode(id);
    if (node) {
      if (token) node.storeToken(token);
      else node.forgetToken();
      return;
    }
    const { token: _previous, ...others } = (RED.nodes.getCredentials(id) as TokenCredentials | undefined) ?? {};
    RED.nodes.addCredentials(id, token ? { ...others, token } : others);
  }

  function accountId(req: Request): string {
    const id = String(req.params.id ?? '');
    if (!NODE_ID.test(id)) throw new RouteError(400, t(RED, 'admin.bad-account-id'));
    return id;
  }

  /** The identity the dialog shows now: the node may not be deployed yet, or be edited since. */
  function clientFromBody(req: Request, http: HttpClient): PlexTvClient {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (value: unknown, fallback: string) => (typeof value === 'string' && value.trim() ? value.trim().slice(0, 200) : fallback);
    const clientIdentifier = text(body.clientIdentifier, '');
    if (!clientIdentifier) throw new RouteError(400, t(RED, 'admin.no-client-identifier'));
    try {
      return new PlexTvClient(
        { clientIdentifier, product: text(body.product, DEFAULT_PRODUCT), deviceName: text(body.deviceName, DEFAULT_DEVICE_NAME) },
        http,
        text(body.plexTvUrl, DEFAULT_PLEX_TV_URL),
      );
    } catch (error) {
      throw new RouteError(400, (error as Error).message);
    }
  }

  function signInOf(req: Request, id: string): SignIn {
    const given = String(req.params.pinId ?? '');
    const pinId = /^\d{1,15}$/.test(given) ? Number(given) : NaN;
    if (Number.isNaN(pinId)) throw new RouteError(400, t(RED, 'admin.bad-pin-id'));
    const signIn = signIns.get(pinId);
    // Another account's PIN is answered as unknown: it reveals nothing about that account.
    if (!signIn || signIn.accountId !== id) throw new RouteError(404, t(RED, 'admin.unknown-pin'));
    return signIn;
  }

  function route(handler: (req: Request) => Promise<unknown>): RequestHandler {
    return (req: Request, res: Response) => {
      handler(req).then(
        (body) => res.json(body),
        (error: unknown) => {
          const status = error instanceof RouteError ? error.status : 500;
          if (status === 500) RED.log.warn(`plex-account admin route: ${(error as Error)?.message ?? String(error)}`);
          res.status(status).json({ error: (error as Error)?.message ?? String(error) });
        },
      ).catch(() => undefined); // a failing res.json (closed socket) must not go unhandled
    };
  }

  const read = RED.auth.needsPermission('plex-account.read');
  const write = RED.auth.needsPermission('plex-account.write');

  RED.httpAdmin.get('/plex-auth/accounts/:id', read, route(async (req) => ({ signedIn: Boolean(storedToken(accountId(req))) })));

  RED.httpAdmin.post('/plex-auth/accounts/:id/pin', write, route(async (req) => {
    const id = accountId(req);
    const http = new HttpClient();
    try {
      const plexTv = clientFromBody(req, http);
      const strong = (await plexTv.createPin({ strong: true })).value;
      // plex.tv/link only takes 4-character codes: a second PIN for people who sign in on another device.
      const link = await plexTv.createPin({ strong: false }).then((pin) => pin.value, () => undefined);
      const signIn: SignIn = { accountId: id, pinIds: [strong.id], plexTv, http, expiresAt: strong.expiresAt, state: 'waiting', lastSeen: Date.now() };
      if (link) signIn.pinIds.push(link.id);
      for (const [pin, expiresAt] of [[strong.id, strong.expiresAt], [link?.id, link?.expiresAt]] as const) {
        if (pin === undefined) continue;
        signIns.set(pin, signIn);
        poller.add({ id: pin, intervalMs: POLL_INTERVAL_MS, expiresAt: Date.parse(expiresAt!) });
      }
      const svg = await QRCode.toString(strong.authUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
      return {
        pinId: strong.id,
        authUrl: strong.authUrl,
        qrSvg: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
        code: link?.code ?? null,
        linkUrl: link?.authUrl ?? null,
        linkExpiresAt: link?.expiresAt ?? null,
        expiresAt: strong.expiresAt,
      };
    } catch (error) {
      http.close();
      throw error instanceof PlexError ? new RouteError(502, t(RED, 'admin.plex-tv-failed', { message: error.message })) : error;
    }
  }));

  RED.httpAdmin.get('/plex-auth/accounts/:id/pin/:pinId', write, route(async (req) => {
    const signIn = signInOf(req, accountId(req));
    signIn.lastSeen = Date.now();
    const { state, username, message, expiresAt } = signIn;
    return { state, username, message, expiresAt };
  }));

  RED.httpAdmin.delete('/plex-auth/accounts/:id/pin/:pinId', write, route(async (req) => {
    const signIn = signInOf(req, accountId(req));
    end(signIn, 'cancelled');
    return { state: signIn.state };
  }));

  RED.httpAdmin.post('/plex-auth/accounts/:id/check', write, route(async (req) => {
    const id = accountId(req);
    const token = storedToken(id);
    if (!token) return { state: 'signed-out' };
    const http = new HttpClient();
    try {
      const plexTv = accountNode(id)?.plexTv ?? clientFromBody(req, http);
      const user = (await plexTv.getUser(token)).value;
      return { state: 'valid', username: user.username };
    } catch (error) {
      if (!(error instanceof PlexError)) throw error;
      // Only plex.tv saying "no" means revoked; anything else leaves the token as it is.
      if (error.kind === 'http' && error.status === 401) return { state: 'revoked' };
      return { state: 'unreachable', message: error.message };
    } finally {
      http.close();
    }
  }));

  RED.httpAdmin.delete('/plex-auth/accounts/:id/token', write, route(async (req) => {
    const id = accountId(req);
    storeToken(id, undefined);
    return { signedIn: false };
  }));
}
