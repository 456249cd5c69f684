/**
 * Admin routes behind the plex-server dialog's "Find servers": the account's servers, and
 * picking one. The runtime asks plex.tv with the account's token and tries the server's
 * connections from the Node-RED host; a shared server's access token becomes the server
 * node's credential here and never goes to the browser.
 */
import type { NodeAPI } from 'node-red';
import type { RequestHandler } from 'express';
import { HttpClient, firstAnswering, type TlsSettings } from '../../src/core';
import type { PlexAccountNode, PlexServerNode, TokenCredentials } from './types';
import { dialogSignIns } from './admin-routes';
import { serversOfAccount, type AccountTarget } from './servers';
import { runtimeState } from './runtime-state';
import { t } from './i18n';
import { NODE_ID, RouteError, deployedConfig, serve } from './admin-http';
import { adminRoutes, type AdminRoute } from '../admin/contract';

const MACHINE_ID = /^[A-Za-z0-9._-]{1,128}$/;

interface TlsConfigNode {
  addTLSOptions(options: TlsSettings): TlsSettings;
}

export function registerServerRoutes(RED: NodeAPI): void {
  function idOf(value: unknown, what: string): string {
    const id = String(value ?? '');
    if (!NODE_ID.test(id)) throw new RouteError(400, t(RED, 'admin.bad-node-id', { what }));
    return id;
  }

  /** A node id that is, or may become, a node of this type: another node's id is answered as unknown. */
  function checkType(id: string, type: string): void {
    const running = RED.nodes.getNode(id);
    const deployed = deployedConfig(RED, id)?.type;
    if ((running && running.type !== type) || (deployed && deployed !== type)) throw new RouteError(404, t(RED, 'admin.unknown-node', { type }));
  }

  /**
   * The account's token and its own plex.tv: a running account, or one just signed in from its
   * dialog (not deployed yet). The plex.tv URL never comes from the request.
   */
  function signedInAccount(id: string): { target: AccountTarget; token: string; close(): void } {
    checkType(id, 'plex-account');
    const node = RED.nodes.getNode(id) as PlexAccountNode | null;
    if (node?.plexTv) {
      const token = node.token();
      if (!token) throw new RouteError(409, t(RED, 'admin.not-signed-in'));
      return { target: { accountId: id, identity: node.identity, http: node.http, plexTvUrl: node.plexTv.baseUrl.href }, token, close: () => undefined };
    }
    const signedInAt = dialogSignIns.get(id);
    const token = (RED.nodes.getCredentials(id) as TokenCredentials | undefined)?.token;
    if (!signedInAt || !token) throw new RouteError(409, t(RED, 'admin.not-signed-in'));
    const http = new HttpClient();
    return { target: { accountId: id, identity: signedInAt.identity, http, plexTvUrl: signedInAt.url }, token, close: () => http.close() };
  }

  const route = <Answer>(contract: AdminRoute<string, unknown, Answer>, permission: RequestHandler) => serve(RED, 'plex-server', contract, permission);

  const read = RED.auth.needsPermission('plex-server.read');
  const write = RED.auth.needsPermission('plex-server.write');

  /** The account's servers as the dialog lists them: no token, no connection. */
  route(adminRoutes.accountServers, read)(async (req) => {
    const account = signedInAccount(idOf(req.params.id, 'account'));
    try {
      const { value } = await serversOfAccount(account.target, account.token, { fresh: true });
      return {
        servers: value.map(({ name, machineIdentifier, owned, owner, online, version }) => ({ name, machineIdentifier, owned, owner, online, version })),
      };
    } finally {
      account.close();
    }
  });

  /**
   * Picks a server for a plex-server node: the best connection that answers /identity as that
   * server from here becomes its url. A shared server's token becomes the node's credential;
   * for an owned one the account's token is used, so a token a pick left before is removed.
   */
  route(adminRoutes.pickServer, write)(async (req) => {
    const serverId = idOf(req.params.id, 'server');
    checkType(serverId, 'plex-server');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const machineIdentifier = String(body.machineIdentifier ?? '');
    if (!MACHINE_ID.test(machineIdentifier)) throw new RouteError(400, t(RED, 'admin.bad-machine-identifier'));
    const account = signedInAccount(idOf(body.account, 'account'));
    try {
      const { value } = await serversOfAccount(account.target, account.token);
      const server = value.find((each) => each.machineIdentifier === machineIdentifier);
      if (!server) throw new RouteError(404, t(RED, 'admin.unknown-server'));
      const tlsNode = typeof body.tls === 'string' && body.tls ? (RED.nodes.getNode(body.tls) as unknown as TlsConfigNode | null) : null;
      const url = await firstAnswering(server.connections.map((connection) => connection.uri), machineIdentifier, {
        identity: account.target.identity,
        tls: tlsNode?.addTLSOptions?.({}),
      });
      const { token: _previous, ...others } = (RED.nodes.getCredentials(serverId) as TokenCredentials | undefined) ?? {};
      const shared = !server.owned && Boolean(server.accessToken);
      RED.nodes.addCredentials(serverId, shared ? { ...others, token: server.accessToken } : others);
      return { name: server.name, url, machineIdentifier, owned: server.owned, tokenSet: shared };
    } finally {
      account.close();
    }
  });

  /** The address a deployed plex-server uses now: its url, or where it found its server since, and when. */
  route(adminRoutes.serverInUse, read)(async (req) => {
    const id = idOf(req.params.id, 'server');
    checkType(id, 'plex-server');
    const address = (RED.nodes.getNode(id) as PlexServerNode | null)?.client?.address ?? null;
    const found = runtimeState(RED).serverAddress(id);
    const movedAt = found?.movedAt !== undefined && found.url === address ? new Date(found.movedAt).toISOString() : null;
    return { address, movedAt };
  });
}
