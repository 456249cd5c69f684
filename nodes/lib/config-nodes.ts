import { t } from './i18n';
import type { NodeAPI } from 'node-red';
import { PlexError, type MediaServerClient, type PlexTvClient } from '../../src/core';
import type { PlexAccountNode, PlexServerNode } from './types';

/** The account a flow node is set to, ready to call plex.tv; else an error that says what to fix. */
export function usableAccount(RED: NodeAPI, accountId: string | undefined): { account: PlexAccountNode; plexTv: PlexTvClient } {
  const account = (accountId ? RED.nodes.getNode(accountId) : undefined) as PlexAccountNode | undefined;
  if (!account) throw new PlexError(t(RED, 'error.no-account'), { kind: 'input' });
  if (!account.plexTv) throw account.configError ?? new PlexError(t(RED, 'error.no-account'), { kind: 'input' });
  return { account, plexTv: account.plexTv };
}

/**
 * The account a flow node is set to, signed in; else an error that says what to fix. Its
 * calls go through `account.withToken` (renewal, one retry on 498).
 */
export function signedInAccount(RED: NodeAPI, accountId: string | undefined): { account: PlexAccountNode; plexTv: PlexTvClient } {
  const { account, plexTv } = usableAccount(RED, accountId);
  if (!account.token()) throw new PlexError(t(RED, 'error.not-signed-in'), { kind: 'input', code: 'PLEX_NOT_SIGNED_IN' });
  return { account, plexTv };
}

/**
 * The server a flow node is set to, with the token to call it with; else an error that says
 * what to fix. Calls go through `withToken`: the account's token renewed when it has expired,
 * and a call answered 498 retried once after a renewal.
 */
export function usableServer(
  RED: NodeAPI,
  serverId: string | undefined,
): { server: PlexServerNode; client: MediaServerClient; token: string; withToken: PlexServerNode['withToken'] } {
  const server = (serverId ? RED.nodes.getNode(serverId) : undefined) as PlexServerNode | undefined;
  if (!server) throw new PlexError(t(RED, 'error.no-server'), { kind: 'input' });
  if (!server.client) throw server.configError ?? new PlexError(t(RED, 'error.no-server'), { kind: 'input' });
  const token = server.token();
  if (!token) throw new PlexError(t(RED, 'error.no-token'), { kind: 'input', code: 'PLEX_NOT_SIGNED_IN' });
  return { server, client: server.client, token, withToken: (call) => server.withToken(call) };
}
