/**
 * Admin routes behind the plex-server dialog: Find servers (the account's servers, and picking
 * one), the address a server uses now, and whether it takes Plex JWTs. The runtime asks plex.tv
 * with the account's token and tries the server's connections from the Node-RED host; a shared
 * server's access token becomes the server node's credential here and never goes to the browser.
 */
import type { NodeAPI } from 'node-red';
import type { RequestHandler } from 'express';
import { firstAnswering, type TlsSettings } from '../../src/core';
import { serverNode } from '../lib/config-nodes';
import { runtimeState } from '../lib/runtime-state';
import { serversOfAccount } from '../lib/servers';
import { t } from '../lib/i18n';
import { NODE_ID, RouteError, deployedConfig, serve } from './http';
import { adminRoutes, type AdminRoute, type ServerJwt } from './contract';
import { openAccount } from './accounts';

const MACHINE_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** A dialog's list is at most this old: many viewers opening Find servers make one plex.tv call, not one each. */
const LIST_MAX_AGE_MS = 15_000;

interface TlsConfigNode {
  addTLSOptions(options: TlsSettings): TlsSettings;
}

export function registerServerRoutes(RED: NodeAPI): void {
  function idOf(value: unknown, what: string): string {
    const id = String(value ?? '');
    if (!NODE_ID.test(id)) throw new RouteError(400, t(RED, 'admin.bad-node-id', { what }));
    return id;
  }

  /** A node id that is, or may become, a plex-server: another node's id is answered as unknown. */
  function checkServerId(id: string): void {
    const running = RED.nodes.getNode(id);
    const deployed = deployedConfig(RED, id)?.type;
    if ((running && running.type !== 'plex-server') || (deployed && deployed !== 'plex-server'))
      throw new RouteError(404, t(RED, 'admin.unknown-node', { type: 'plex-server' }));
  }

  /** The servers of the account, asked with its token at its own plex.tv (never a URL from the request). */
  async function serversOf(accountId: string, maxAgeMs: number) {
    const opened = openAccount(RED, idOf(accountId, 'account'));
    try {
      await opened.account.ready;
      if (!opened.account.signedIn) throw new RouteError(409, t(RED, 'admin.not-signed-in'));
      return { servers: (await serversOfAccount(accountId, opened.account, { maxAgeMs })).value, identity: opened.account.identity };
    } finally {
      opened.close();
    }
  }

  const route = <Answer>(contract: AdminRoute<string, unknown, Answer>, permission: RequestHandler) => serve(RED, 'plex-server', contract, permission);
  const shownJwt = (state: { takesJwt: boolean; checkedAt: number; reason?: string }): ServerJwt => ({
    takesJwt: state.takesJwt,
    checkedAt: new Date(state.checkedAt).toISOString(),
    reason: state.reason ?? null,
  });
  const read = RED.auth.needsPermission('plex-server.read');
  const write = RED.auth.needsPermission('plex-server.write');

  /** The account's servers as the dialog lists them (no token, no connection): owned and online first, then shared, offline last. */
  route(
    adminRoutes.accountServers,
    read,
  )(async (req) => {
    const { servers } = await serversOf(String(req.params.id ?? ''), LIST_MAX_AGE_MS);
    const rank = (server: { owned: boolean; online: boolean }) => (server.online ? 0 : 2) + (server.owned ? 0 : 1);
    return {
      servers: servers
        .map(({ name, machineIdentifier, owned, owner, online, version }) => ({ name, machineIdentifier, owned, owner, online, version }))
        .sort((a, b) => rank(a) - rank(b)),
    };
  });

  /**
   * Picks a server for a plex-server node: the best connection that answers /identity as that
   * server from here becomes its url. A shared server's token becomes the node's credential;
   * for an owned one the account's token is used, so a token a pick left before is removed.
   */
  route(
    adminRoutes.pickServer,
    write,
  )(async (req) => {
    const serverId = idOf(req.params.id, 'server');
    checkServerId(serverId);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const machineIdentifier = String(body.machineIdentifier ?? '');
    if (!MACHINE_ID.test(machineIdentifier)) throw new RouteError(400, t(RED, 'admin.bad-machine-identifier'));
    const { servers, identity } = await serversOf(String(body.account ?? ''), LIST_MAX_AGE_MS);
    const server = servers.find((each) => each.machineIdentifier === machineIdentifier);
    if (!server) throw new RouteError(404, t(RED, 'admin.unknown-server'));
    const tlsNode = typeof body.tls === 'string' && body.tls ? (RED.nodes.getNode(body.tls) as unknown as TlsConfigNode | null) : null;
    const url = await firstAnswering(
      server.connections.map((connection) => connection.uri),
      machineIdentifier,
      { identity, tls: tlsNode?.addTLSOptions?.({}) },
    );
    const { token: _previous, ...others } = (RED.nodes.getCredentials(serverId) as { token?: string } | undefined) ?? {};
    const shared = !server.owned && Boolean(server.accessToken);
    RED.nodes.addCredentials(serverId, shared ? { ...others, token: server.accessToken } : others);
    return { name: server.name, url, machineIdentifier, owned: server.owned, tokenSet: shared };
  });

  /** Where a deployed plex-server is now (its url, or where it found its server since, and when), and whether it takes Plex JWTs. */
  route(
    adminRoutes.serverInUse,
    read,
  )(async (req) => {
    const id = idOf(req.params.id, 'server');
    checkServerId(id);
    const server = serverNode(RED, id)?.server;
    const moved = runtimeState(RED).serverAddress(id);
    const jwt = server?.machineIdentifier ? server.account.serverJwtState(server.machineIdentifier) : undefined;
    return {
      address: server?.client.address ?? null,
      movedAt: moved?.movedAt ? new Date(moved.movedAt).toISOString() : null,
      jwt: jwt ? shownJwt(jwt) : null,
    };
  });

  /** Checks now whether a running server takes its Plex JWT (the dialog's button). */
  route(
    adminRoutes.checkServerJwt,
    write,
  )(async (req) => {
    const id = idOf(req.params.id, 'server');
    checkServerId(id);
    const server = serverNode(RED, id)?.server;
    if (!server?.machineIdentifier) throw new RouteError(409, t(RED, 'admin.jwt-check-needs-running'));
    return shownJwt(await server.account.checkServerJwt({ machineIdentifier: server.machineIdentifier, client: server.client }));
  });
}
