/**
 * A plex-account as the admin routes meet it, in one of three forms, always as the same
 * account object: running (its node's own), deployed while the flows are stopped (opened over
 * the same store as the node: credentials and sealed state), or signed in from its dialog
 * before its first Deploy (opened over the credentials alone, at the plex.tv URL it was signed
 * in at, and only while it holds the token it got there).
 */
import type { NodeAPI } from 'node-red';
import { PlexAccount, type PlexAccountOptions } from '../../src/core';
import { CredentialsStore, NodeRedAccountStore } from '../lib/account-store';
import { accountSettingsOf, type AccountSettings } from '../lib/account-settings';
import { accountNode } from '../lib/config-nodes';
import { fingerprint } from '../lib/runtime-state';
import { t } from '../lib/i18n';
import type { AccountCredentials, PlexAccountConfig } from '../lib/types';
import { RouteError, deployedConfig } from './http';
import type { PlexTvTarget } from './sign-in-session';

export type AccountForm = 'running' | 'stopped' | 'undeployed';

export interface OpenedAccount {
  id: string;
  form: AccountForm;
  account: PlexAccount;
  /** Where the account signs in and sends its token: its deployed plex.tv, or where its dialog signed it in. */
  target: PlexTvTarget;
  /** Lets go of an account opened for this request (a running one stays as it is). */
  close(): void;
}

const ACCOUNT_TYPE = 'plex-account';

/** Accounts signed in from their dialog before their first Deploy: where, and with which token. */
const dialogSignIns = new Map<string, PlexTvTarget & { token: string }>();

/** Remembers where an undeployed account was signed in: its token goes there, and only while it is its token. */
export function rememberDialogSignIn(id: string, target: PlexTvTarget, token: string): void {
  dialogSignIns.set(id, { ...target, token: fingerprint(token) });
}

function targetOf(settings: AccountSettings): PlexTvTarget {
  return { identity: settings.identity, url: settings.plexTvUrl };
}

function opened(
  RED: NodeAPI,
  id: string,
  form: AccountForm,
  target: PlexTvTarget,
  options: Omit<PlexAccountOptions, 'identity' | 'plexTvUrl' | 'passive' | 'warn'>,
): OpenedAccount {
  let account: PlexAccount;
  try {
    account = new PlexAccount({
      ...options,
      identity: target.identity,
      plexTvUrl: target.url,
      passive: true,
      warn: (text) => RED.log.warn(`plex-account ${id}: ${text}`),
    });
  } catch (error) {
    throw new RouteError(409, t(RED, 'admin.plex-tv-url-unusable', { message: (error as Error).message }));
  }
  return { id, form, account, target, close: () => account.close() };
}

/**
 * The plex-account with this id. Another node's id is answered as an unknown one (404), and so
 * is an id that is not deployed, unless `undeployed` (a new account signing in from its dialog,
 * at `dialogTarget`) or its dialog has signed it in.
 */
export function openAccount(RED: NodeAPI, id: string, options: { undeployed?: PlexTvTarget } = {}): OpenedAccount {
  const running = RED.nodes.getNode(id);
  const config = deployedConfig(RED, id);
  const unknown = () => new RouteError(404, t(RED, 'admin.unknown-account'));
  if ((running && running.type !== ACCOUNT_TYPE) || (config && config.type !== ACCOUNT_TYPE)) throw unknown();
  if (running) {
    const node = accountNode(RED, id)!;
    if (!node.account) throw new RouteError(409, t(RED, 'admin.plex-tv-url-unusable', { message: node.configError?.message ?? '' }));
    return {
      id,
      form: 'running',
      account: node.account,
      target: { identity: node.account.identity, url: node.account.plexTv.baseUrl.href },
      close: () => undefined,
    };
  }
  if (config) {
    const settings = accountSettingsOf(config as PlexAccountConfig, id);
    const storage = new NodeRedAccountStore(RED, id, RED.nodes.getCredentials(id) as AccountCredentials | undefined, settings.keyDeviceIdentifier);
    return opened(RED, id, 'stopped', targetOf(settings), { auth: settings.auth, keyDeviceIdentifier: settings.keyDeviceIdentifier, storage });
  }
  const credentials = RED.nodes.getCredentials(id) as AccountCredentials | undefined;
  const signedIn = dialogSignIns.get(id);
  // Where the dialog signed it in, while it holds the token it got there (or none: then nothing can go anywhere).
  const held = fingerprint(credentials?.token);
  const target = signedIn && (signedIn.token === held || held === '') ? signedIn : options.undeployed;
  if (!target) throw signedIn ? new RouteError(409, t(RED, 'admin.no-plex-tv-url')) : unknown();
  return opened(RED, id, 'undeployed', target, { auth: 'token', storage: new CredentialsStore(RED, id) });
}
