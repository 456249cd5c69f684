/**
 * The admin route behind the plex-events dialog's "Load from server": the users, players and
 * libraries of a deployed plex-server, asked by the runtime with the server's token. Only ids
 * and names reach the browser.
 */
import type { NodeAPI } from 'node-red';
import type { Request } from 'express';
import { MEDIA_TYPES, PlexError } from '../../src/core';
import { eventServer } from '../lib/event-server';
import { t } from '../lib/i18n';
import { NODE_ID, RouteError, jsonRoute } from './http';

export function registerEventRoutes(RED: NodeAPI): void {
  RED.httpAdmin.get('/plex-auth/servers/:id/choices', RED.auth.needsPermission('plex-events.read'), jsonRoute(RED, 'plex-events', async (req: Request) => {
    const id = String(req.params.id ?? '');
    if (!NODE_ID.test(id)) throw new RouteError(400, t(RED, 'admin.bad-node-id', { what: 'server' }));
    let server;
    try {
      server = eventServer(RED, id);
    } catch (error) {
      // Not deployed, or not a plex-server: nothing to ask with.
      throw new RouteError(409, t(RED, 'admin.events-no-server', { message: error instanceof PlexError ? error.message : String(error) }));
    }
    return { ...(await server.choices()), types: MEDIA_TYPES };
  }));
}
