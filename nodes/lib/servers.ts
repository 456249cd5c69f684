/** The account's servers for the nodes and the server dialog: one list per account and token, reused for a few minutes. */
import { ResourcesCache, type AccountServerWithToken, type Checked, type PlexAccount } from '../../src/core';
import { fingerprint } from './runtime-state';

/** One per process: a server that moved is found without asking plex.tv for every node. */
const cache = new ResourcesCache();

/**
 * The servers of a signed-in account (asked with its classic token, so that their access
 * tokens are ones servers take), from plex.tv or from the last few minutes. Keyed by the
 * plex.tv asked and the token too: after another sign-in, or a Deploy that points the account
 * at another plex.tv, a list of before is never reused. `maxAgeMs` asks for a list at most that old.
 */
export function serversOfAccount(
  accountId: string,
  account: PlexAccount,
  options: { maxAgeMs?: number; signal?: AbortSignal } = {},
): Promise<Checked<AccountServerWithToken[]>> {
  return account.withToken((token) =>
    cache.get(`${accountId}|${account.plexTv.baseUrl.href}|${fingerprint(token)}`, () => account.plexTv.servers(token, options.signal), {
      maxAgeMs: options.maxAgeMs,
    }),
  );
}
