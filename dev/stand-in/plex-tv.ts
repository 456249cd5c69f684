/** The stand-in playing plex.tv's classic API: PINs, the account behind a token, linking a code, the account's servers. */
import type { PlexStandIn } from '../plex-stand-in';
import { Refusal, json, unauthenticated, type Exchange, type Route } from './exchange';
import { registerKey, serverScopedJwt } from './device-keys';
import { livePin, pinBody } from './pins';

function requireClientId(exchange: Exchange): string {
  if (!exchange.clientId) throw new Refusal(400, 1000, 'X-Plex-Client-Identifier is missing');
  return exchange.clientId;
}

export function plexTvRoutes(standIn: PlexStandIn): Route[] {
  return [
    {
      method: 'POST',
      path: /^\/api\/v2\/pins$/,
      handle(exchange) {
        const pin = standIn.newPin({
          clientIdentifier: requireClientId(exchange),
          product: exchange.plexValue('X-Plex-Product') ?? '',
          strong: exchange.url.searchParams.get('strong') === 'true',
        });
        json(exchange.res, 201, pinBody(pin));
      },
    },
    {
      method: 'GET',
      path: /^\/api\/v2\/pins\/(\d+)$/,
      handle(exchange) {
        const pin = livePin(standIn, Number(exchange.match[1]), requireClientId(exchange));
        pin.polls += 1;
        if (!pin.authToken && pin.approveAfterPolls !== undefined && pin.polls >= pin.approveAfterPolls) standIn.approve(pin.id);
        json(exchange.res, 200, pinBody(pin));
      },
    },
    {
      method: 'GET',
      path: /^\/api\/v2\/user$/,
      handle({ res, token }) {
        const user = token ? standIn.accountTokens.get(token) : undefined;
        if (!user) throw unauthenticated();
        json(res, 200, { ...user, title: user.username, authToken: token });
      },
    },
    {
      // The signed-in account approves a 4-character code that another client made; that client's next poll gets a token for the account.
      method: 'PUT',
      path: /^\/api\/v2\/pins\/link$/,
      handle({ req, res, token, body, clientId }) {
        if (!clientId) throw new Refusal(400, 1000, 'X-Plex-Client-Identifier is missing');
        if (!token || !standIn.accountTokens.has(token)) throw unauthenticated();
        if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) throw new Refusal(400, 1000, 'code is missing');
        const wanted = new URLSearchParams(body).get('code');
        if (!wanted) throw new Refusal(400, 1000, 'code is missing');
        const now = Date.now();
        // plex.tv/link takes 4-character codes; a strong PIN made with a key is approved this way too (an account's own key device).
        const pin = [...standIn.pins.values()].find((p) => (!p.strong || p.jwk) && p.code === wanted && now < p.expiresAt);
        if (!pin) throw new Refusal(404, 1020, 'Code not found or expired');
        if (pin.jwk) {
          pin.approvedAccount = token;
          registerKey(standIn, pin.jwk, pin.clientIdentifier, standIn.accountTokens.get(token)!);
        } else {
          pin.authToken = token;
        }
        res.writeHead(204).end();
      },
    },
    {
      method: 'GET',
      path: /^\/api\/v2\/resources$/,
      async handle({ res, token }) {
        const user = token ? standIn.accountTokens.get(token) : undefined;
        if (!token || !user) throw unauthenticated();
        const devices = standIn.resources.map((resource) => resource.device());
        if (standIn.plexJwts.has(token)) {
          // Asked with a Plex JWT, owned servers are listed with server-scoped JWTs (which real servers refuse).
          for (const device of devices) {
            const server = standIn.servers.get(String(device.clientIdentifier));
            if (server && device.owned)
              device.accessToken = await serverScopedJwt(standIn, server.standIn.machineIdentifier, user, server.standIn.serverTokens);
          }
        }
        json(res, 200, devices);
      },
    },
  ];
}
