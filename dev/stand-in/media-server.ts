/**
 * The stand-in playing a Plex Media Server: transient tokens, a source's connections, who it is,
 * what plays now and the lists the plex-events dialog offers as filters.
 */
import { randomBytes } from 'node:crypto';
import type { PlexStandIn } from '../plex-stand-in';
import { html, json, type Route } from './exchange';
import { LIBRARIES, USERS } from './notifications';

export const SERVER_VERSION = '1.41.3.9314-a0bfb8370';

/** A Plex JWT, by its shape: the server refuses every one unless it takes Plex JWTs. */
const isJwt = (token: string) => token.split('.').length === 3;

/** An admin token of this server, or a transient token it made; a Plex JWT only when the server takes them. */
export function admitted(standIn: PlexStandIn, token: string | undefined): boolean {
  return token !== undefined && (standIn.serverTokens.has(token) || standIn.transientTokens.has(token)) && (standIn.takesPlexJwts || !isJwt(token));
}

/** A list the server answers with its token checked: 401, as the server's HTML page, without one it takes. */
function listRoute(standIn: PlexStandIn, path: RegExp, container: () => Record<string, unknown>): Route {
  return {
    method: 'GET',
    path,
    handle({ res, token }) {
      if (!admitted(standIn, token)) return html(res, 401, '401 Unauthorized');
      json(res, 200, { MediaContainer: container() });
    },
  };
}

export function mediaServerRoutes(standIn: PlexStandIn): Route[] {
  /** Real servers answer a Plex JWT with 401; an unknown classic token with 403. */
  const refuse = (res: Parameters<typeof html>[0], token: string | undefined) =>
    token !== undefined && isJwt(token) && !standIn.takesPlexJwts ? html(res, 401, '401 Unauthorized') : html(res, 403, '403 Forbidden');
  const list = <T>(child: string, items: T[]) => ({ size: items.length, [child]: items });
  return [
    listRoute(standIn, /^\/$/, () => ({ size: 0, friendlyName: standIn.friendlyName, machineIdentifier: standIn.machineIdentifier, version: SERVER_VERSION })),
    listRoute(standIn, /^\/status\/sessions$/, () => list('Metadata', standIn.playback.listed())),
    listRoute(standIn, /^\/accounts$/, () =>
      list('Account', [{ id: 0, key: '/accounts/0', name: '' }, ...Object.values(USERS).map(({ id, title }) => ({ id, key: `/accounts/${id}`, name: title }))]),
    ),
    listRoute(standIn, /^\/devices$/, () => list('Device', standIn.playback.devices())),
    listRoute(standIn, /^\/library\/sections$/, () => list('Directory', LIBRARIES)),
    {
      method: '*',
      path: /^\/security\/token$/,
      handle({ req, res, url, token }) {
        if (url.searchParams.get('type') !== 'delegation' || url.searchParams.get('scope') !== 'all') return html(res, 400, '400 Bad Request');
        if (!admitted(standIn, token)) return refuse(res, token);
        const transient = `transient-${randomBytes(16).toString('hex')}`;
        standIn.transientTokens.add(transient);
        if (standIn.serverXml || !String(req.headers.accept ?? '').includes('json')) {
          res.writeHead(200, { 'Content-Type': 'text/xml;charset=utf-8' });
          return void res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="0" token="${transient}">\n</MediaContainer>\n`);
        }
        json(res, 200, { MediaContainer: { size: 0, token: transient } });
      },
    },
    {
      method: 'GET',
      path: /^\/security\/resources$/,
      handle({ res, url, token }) {
        const source = url.searchParams.get('source') ?? '';
        if (!/^(server|provider):\/\/.+/.test(source)) return html(res, 400, '400 Bad Request');
        if (!admitted(standIn, token)) return refuse(res, token);
        const device = standIn.sources.get(source);
        if (!device) return html(res, 404, '404 Not Found');
        json(res, 200, { MediaContainer: { size: 1, Device: device } });
      },
    },
    {
      method: 'GET',
      path: /^\/identity$/,
      handle({ res }) {
        json(res, 200, { MediaContainer: { size: 0, claimed: true, machineIdentifier: standIn.machineIdentifier, version: SERVER_VERSION } });
      },
    },
  ];
}
