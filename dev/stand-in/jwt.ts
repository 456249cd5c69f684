/**
 * The stand-in playing plex.tv's JWT sign-in with real Ed25519 signatures (plex-facts.md "JWT
 * sign-in"): PINs made with a device key, nonces, device JWTs, the exchange, plex.tv's keys.
 */
import { loadJose } from '../../src/core/jose';
import type { PlexStandIn, StandInJwk } from '../plex-stand-in';
import { Refusal, json, plexError, unauthenticated, type Exchange, type Route } from './exchange';
import { livePin, pinBody } from './pins';
import { issuePlexJwt, registerKey } from './device-keys';

const SIGNATURE_FAILED = 'Signature Verification Failed';

/** A public Ed25519 JWK from a request body, or a 400. */
function publicJwkOf(value: unknown): StandInJwk {
  const jwk = value as Partial<StandInJwk> | undefined;
  const valid =
    jwk?.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string' && /^[\w-]{43}$/.test(jwk.x) && typeof jwk.kid === 'string' && jwk.kid !== '';
  if (!valid || 'd' in jwk!) throw new Refusal(400, 1000, 'jwk must be a public Ed25519 JWK with a kid');
  return jwk as StandInJwk;
}

function jsonBody(text: string): Record<string, unknown> {
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Refusal(400, 1000, 'Body is not JSON');
  }
}

/** Checks a device JWT as plex.tv does: EdDSA, signed by the registered key (or the PIN's), aud plex.tv, iss the client, unexpired. */
async function checkDeviceJwt(standIn: PlexStandIn, jwt: string, clientId: string, pinJwk?: StandInJwk) {
  const jose = await loadJose();
  let kid: unknown;
  try {
    kid = jose.decodeProtectedHeader(jwt).kid;
  } catch {
    throw new Refusal(400, 1000, 'The JWT cannot be read');
  }
  const jwk = pinJwk ?? (typeof kid === 'string' ? standIn.deviceKeys.get(kid)?.jwk : undefined);
  if (!jwk || kid !== jwk.kid) throw new Refusal(422, 1099, SIGNATURE_FAILED);
  let payload: Record<string, unknown>;
  try {
    const key = await jose.importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'EdDSA');
    ({ payload } = await jose.jwtVerify(jwt, key, { algorithms: ['EdDSA'], audience: 'plex.tv', issuer: clientId, requiredClaims: ['nonce', 'iat', 'exp'] }));
  } catch (error) {
    if (error instanceof jose.errors.JWTExpired) throw new Refusal(422, 1099, 'JWT expired');
    if (error instanceof jose.errors.JWTClaimValidationFailed) throw new Refusal(422, 1099, `Invalid claim ${error.claim}`);
    throw new Refusal(422, 1099, SIGNATURE_FAILED);
  }
  return { jose, kid: jwk.kid, nonce: String(payload.nonce) };
}

/** The client identifier every JWT call needs; the nonce call says so with a 422, the others with a 400. */
function requireClientId(exchange: Exchange, status = 400): string {
  if (!exchange.clientId) throw new Refusal(status, 1000, 'X-Plex-Client-Identifier is missing');
  return exchange.clientId;
}

const isKeyPinPoll = (standIn: PlexStandIn) => (exchange: Exchange) => standIn.pins.get(Number(exchange.match[1]))?.jwk !== undefined;

/**
 * An expired or revoked Plex JWT is answered 498 or 401 on every plex.tv and server route, before
 * the route itself looks at it. True when it answered.
 */
export function refusedPlexJwt(standIn: PlexStandIn, exchange: Exchange): boolean {
  const issued = exchange.token === undefined ? undefined : standIn.plexJwts.get(exchange.token);
  if (!issued || !/^\/(api\/v2|security)\//.test(exchange.url.pathname)) return false;
  if (issued.revoked) plexError(exchange.res, 401, 1001, 'User could not be authenticated');
  else if (Date.now() >= issued.expiresAt) plexError(exchange.res, 498, 1001, 'Token expired');
  else return false;
  return true;
}

/** The JWT routes; they come before the classic ones, which answer the same paths otherwise. */
export function jwtRoutes(standIn: PlexStandIn): Route[] {
  return [
    {
      method: 'GET',
      path: /^\/api\/v2\/auth\/keys$/,
      async handle(exchange) {
        requireClientId(exchange);
        json(exchange.res, 200, { keys: await standIn.signer.publicJwks() });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/v2\/auth\/nonce$/,
      handle(exchange) {
        json(exchange.res, 200, { nonce: standIn.signer.newNonce(requireClientId(exchange, 422)) });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/pins$/,
      when: ({ req }) => String(req.headers['content-type'] ?? '').includes('json'),
      handle(exchange) {
        const clientId = requireClientId(exchange);
        const body = jsonBody(exchange.body);
        const jwk = publicJwkOf(body.jwk);
        const taken = standIn.deviceKeys.get(jwk.kid);
        if (taken && taken.clientIdentifier !== clientId) throw new Refusal(422, 1099, 'Thumbprint Already Taken');
        const pin = standIn.newPin({ clientIdentifier: clientId, product: '', strong: body.strong === true });
        pin.jwk = jwk;
        json(exchange.res, 201, pinBody(pin));
      },
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/auth\/jwk$/,
      handle(exchange) {
        const clientId = requireClientId(exchange);
        const jwk = publicJwkOf(jsonBody(exchange.body).jwk);
        const user = exchange.token === undefined ? undefined : standIn.accountTokens.get(exchange.token);
        if (!user) throw unauthenticated();
        registerKey(standIn, jwk, clientId, user);
        exchange.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/auth\/token$/,
      async handle(exchange) {
        const clientId = requireClientId(exchange);
        const { jwt } = jsonBody(exchange.body);
        if (typeof jwt !== 'string') throw new Refusal(400, 1000, 'jwt is missing');
        const { jose, kid, nonce } = await checkDeviceJwt(standIn, jwt, clientId);
        standIn.signer.takeNonce(nonce, clientId, 'token');
        const device = standIn.deviceKeys.get(kid)!;
        json(exchange.res, 200, { auth_token: await issuePlexJwt(standIn, jose, clientId, kid, nonce, device.user) });
      },
    },
    {
      // A poll of a PIN made with a key: with a device JWT of the PIN's key, an approved PIN gets a Plex JWT.
      method: 'GET',
      path: /^\/api\/v2\/pins\/(\d+)$/,
      when: isKeyPinPoll(standIn),
      async handle(exchange) {
        const clientId = requireClientId(exchange);
        const pin = livePin(standIn, Number(exchange.match[1]), clientId);
        pin.polls += 1;
        const deviceJwt = exchange.url.searchParams.get('deviceJWT');
        if (deviceJwt === null) return json(exchange.res, 200, { ...pinBody(pin), authToken: null });
        const { jose, nonce } = await checkDeviceJwt(standIn, deviceJwt, clientId, pin.jwk);
        // One nonce serves all the polls of one PIN, and nothing else.
        standIn.signer.takeNonce(nonce, clientId, `pin ${pin.id}`);
        if (!pin.approvedAccount && pin.approveAfterPolls !== undefined && pin.polls >= pin.approveAfterPolls) standIn.approve(pin.id);
        if (pin.approvedAccount && !pin.authToken) {
          pin.authToken = await issuePlexJwt(standIn, jose, clientId, pin.jwk!.kid, nonce, standIn.accountTokens.get(pin.approvedAccount)!);
        }
        json(exchange.res, 200, pinBody(pin));
      },
    },
  ];
}
