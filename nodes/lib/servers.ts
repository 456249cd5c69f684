/** The account's servers for the nodes and the server dialog: one list per account, reused for a few minutes. */
import { PlexTvClient, ResourcesCache, type AccountServerWithToken, type Checked, type ClientIdentity, type HttpClient } from '../../src/core';
import type { PlexAccountNode } from './types';
import { fingerprint } from './runtime-state';

/** One per process: a server that moved is found without asking plex.tv for every node. */
const cache = new ResourcesCache();

/** Whom to ask plex.tv as, and where: the account's own plex.tv, the only place its token goes. */
export interface AccountTarget {
  accountId: string;
  identity: ClientIdentity;
  http: HttpClient;
  plexTvUrl: string;
}

/**
 * The servers of a signed-in account, from plex.tv or from the last few minutes. Keyed by
 * the token too: after another sign-in, another account's list is never reused.
 */
export function serversOfAccount(
  target: AccountTarget,
  token: string,
  options: { fresh?: boolean; signal?: AbortSignal } = {},
): Promise<Checked<AccountServerWithToken[]>> {
  const plexTv = new PlexTvClient(target.identity, target.http, target.plexTvUrl);
  return cache.get(`${target.accountId}|${fingerprint(token)}`, () => plexTv.servers(token, options.signal), { fresh: options.fresh });
}

/** serversOfAccount for a running plex-account node. */
export function accountServers(
  account: PlexAccountNode,
  token: string,
  options: { fresh?: boolean; signal?: AbortSignal } = {},
): Promise<Checked<AccountServerWithToken[]>> {
  if (!account.plexTv) return Promise.reject(account.configError);
  return serversOfAccount({ accountId: account.id, identity: account.identity, http: account.http, plexTvUrl: account.plexTv.baseUrl.href }, token, options);
}
