/**
 * The admin route behind the plex-events dialog's "Load from server": the users, players and
 * libraries of a deployed plex-server, asked by the runtime with the server's token. Only ids
 * and names reach the browser.
 */
import type { NodeAPI } from 'node-red';
import { MEDIA_TYPES, PlexError } from '../../src/core';
import { eventServer } from '../lib/event-server';
import { t } from '../lib/i18n';
import { adminRoutes } from './contract';
import { NODE_ID, RouteError, serve } from './http';

export function registerEventRoutes(RED: NodeAPI): void {
  serve(
    RED,
    'plex-events',
    adminRoutes.eventChoices,
    RED.auth.needsPermission('plex-events.read'),
  )(async (req) => {
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
  });
}
