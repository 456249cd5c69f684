import { PlexError } from './errors';
import { PLEX_TV_AUDIENCE } from './device-key';
import { loadJose } from './jose';

type Jose = Awaited<ReturnType<typeof loadJose>>;
type VerifyKey = Awaited<ReturnType<Jose['importJWK']>>;

/** The account as a Plex JWT's claims describe it (the scopes asked for). */
export interface PlexJwtUser {
  id?: number;
  uuid?: string;
  username?: string;
  email?: string;
  friendly_name?: string;
}

/** A Plex JWT and its lifetime: what renewing it needs. */
export interface PlexJwtLifetime {
  token: string;
  /** Epoch ms (iat; the time of the check when plex.tv left it out). */
  issuedAt: number;
  /** Epoch ms (exp). */
  expiresAt: number;
}

/** A Plex JWT that passed every check of verifyPlexJwt. */
export interface VerifiedPlexJwt extends PlexJwtLifetime {
  user?: PlexJwtUser;
}

export interface PlexJwtExpectations {
  /** Our X-Plex-Client-Identifier: the JWT's aud must name it besides plex.tv. */
  clientIdentifier: string;
  /** Our device key's kid: the JWT's thumbprint claim. */
  kid: string;
  /** Epoch ms; now by default. */
  now?: number;
}

const REFUSED = 'plex.tv JWT refused: ';

function refused(what: string, field: string): PlexError {
  // Never the token itself, nor a claim's value copied from it: only what failed.
  return new PlexError(`${REFUSED}${what}`, { kind: 'response', field });
}

/**
 * Whether a token has the shape of a JWT (three base64url parts): a Plex JWT rather than a
 * classic token. Says nothing about whether it is valid; verifyPlexJwt does that.
 */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

/**
 * The lifetime of a Plex JWT that was verified when it was stored, read from its claims (not
 * verified again: that needs plex.tv's keys, and it was done before the token was kept).
 * Undefined for a token that is not such a JWT.
 */
export async function storedJwtLifetime(token: string): Promise<PlexJwtLifetime | undefined> {
  if (!looksLikeJwt(token)) return undefined;
  const { decodeJwt } = await loadJose();
  try {
    const { exp, iat } = decodeJwt(token);
    if (typeof exp !== 'number') return undefined;
    return { token, expiresAt: exp * 1000, issuedAt: typeof iat === 'number' ? iat * 1000 : exp * 1000 - PLEX_JWT_LIFETIME_MS };
  } catch {
    return undefined;
  }
}

/** A Plex JWT lives 7 days. */
export const PLEX_JWT_LIFETIME_MS = 7 * 24 * 3600_000;

/**
 * plex.tv's public keys (GET /api/v2/auth/keys), imported once. Keys that are not Ed25519
 * are left out: only EdDSA is accepted.
 */
export class PlexJwtKeys {
  private constructor(
    readonly keys: readonly VerifyKey[],
    /** Epoch ms of the fetch, so a cache knows its age. */
    readonly fetchedAt: number,
  ) {}

  static async from(jwks: readonly unknown[], fetchedAt = Date.now()): Promise<PlexJwtKeys> {
    const { importJWK } = await loadJose();
    const keys: VerifyKey[] = [];
    for (const jwk of jwks) {
      const candidate = jwk as { kty?: unknown; crv?: unknown; alg?: unknown };
      if (candidate?.kty !== 'OKP' || candidate.crv !== 'Ed25519' || (candidate.alg !== undefined && candidate.alg !== 'EdDSA')) continue;
      try {
        keys.push(await importJWK({ ...(jwk as object), alg: 'EdDSA' }, 'EdDSA'));
      } catch {
        // A malformed entry: the others may still verify.
      }
    }
    return new PlexJwtKeys(keys, fetchedAt);
  }
}

/**
 * Verifies a Plex JWT: signed with EdDSA by one of plex.tv's keys (every key is tried), iss
 * plex.tv, aud holding plex.tv and our client identifier, thumbprint our key id, exp in the
 * future. A failure is a PlexError of kind 'response' (PLEX_BAD_ANSWER) whose field names
 * what failed: alg, signature, iss, aud, thumbprint, exp or token.
 */
export async function verifyPlexJwt(token: string, keys: PlexJwtKeys, expect: PlexJwtExpectations): Promise<VerifiedPlexJwt> {
  const { jwtVerify, errors } = await loadJose();
  if (!keys.keys.length) throw refused('plex.tv listed no Ed25519 key to verify it with', 'signature');
  const currentDate = new Date(expect.now ?? Date.now());
  for (const key of keys.keys) {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['EdDSA'],
        issuer: PLEX_TV_AUDIENCE,
        audience: expect.clientIdentifier,
        requiredClaims: ['iss', 'aud', 'exp', 'thumbprint'],
        currentDate,
      }));
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) continue;
      if (error instanceof errors.JOSEAlgNotAllowed) throw refused('it is not signed with EdDSA', 'alg');
      if (error instanceof errors.JWTExpired) throw refused('it has expired', 'exp');
      if (error instanceof errors.JWTClaimValidationFailed) {
        const claim = error.claim;
        if (claim === 'aud') throw refused('its audience does not name this client', 'aud');
        if (claim === 'iss') throw refused('it was not issued by plex.tv', 'iss');
        throw refused(`claim ${claim} ${error.reason === 'missing' ? 'is missing' : 'is not valid'}`, claim);
      }
      throw refused('it is not a well-formed JWS compact token', 'token');
    }
    const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audience.includes(PLEX_TV_AUDIENCE)) throw refused('its audience does not name plex.tv', 'aud');
    if (payload.thumbprint !== expect.kid) throw refused("its thumbprint is not this device's key id", 'thumbprint');
    const expiresAt = (payload.exp as number) * 1000;
    const issuedAt = typeof payload.iat === 'number' ? payload.iat * 1000 : currentDate.getTime();
    const user = payload.user && typeof payload.user === 'object' ? (payload.user as PlexJwtUser) : undefined;
    return { token, issuedAt, expiresAt, ...(user ? { user } : {}) };
  }
  throw refused(`its signature matches none of plex.tv's ${keys.keys.length} key(s)`, 'signature');
}
