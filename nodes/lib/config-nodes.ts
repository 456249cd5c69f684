/** The config nodes a flow node is set to, as the objects it calls: found by id, of the right type, usable; else an error that says what to fix. */
import type { NodeAPI } from 'node-red';
import { PlexError, type PlexAccount } from '../../src/core';
import { t } from './i18n';
import type { PlexAccountNode, PlexServer, PlexServerNode } from './types';

/** The running plex-account node with this id; another node's id is none. */
export function accountNode(RED: NodeAPI, id: string | undefined): PlexAccountNode | undefined {
  const node = id ? RED.nodes.getNode(id) : null;
  return node?.type === 'plex-account' ? (node as PlexAccountNode) : undefined;
}

/** The running plex-server node with this id; another node's id is none. */
export function serverNode(RED: NodeAPI, id: string | undefined): PlexServerNode | undefined {
  const node = id ? RED.nodes.getNode(id) : null;
  return node?.type === 'plex-server' ? (node as PlexServerNode) : undefined;
}

/** The account a flow node is set to. Whether it is signed in, its calls say (PLEX_NOT_SIGNED_IN). */
export function usableAccount(RED: NodeAPI, id: string | undefined): PlexAccount {
  const node = accountNode(RED, id);
  if (!node) throw new PlexError(t(RED, 'error.no-account'), { kind: 'input' });
  if (!node.account) throw node.configError ?? new PlexError(t(RED, 'error.no-account'), { kind: 'input' });
  return node.account;
}

/** The server a flow node is set to. */
export function usableServer(RED: NodeAPI, id: string | undefined): PlexServer {
  const node = serverNode(RED, id);
  if (!node) throw new PlexError(t(RED, 'error.no-server'), { kind: 'input' });
  if (!node.server) throw node.configError ?? new PlexError(t(RED, 'error.no-server'), { kind: 'input' });
  return node.server;
}
