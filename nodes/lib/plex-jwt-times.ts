import { loadJose } from '../../src/core/jose';
import type { VerifiedPlexJwt } from '../../src/core';

/**
 * The lifetime of a token the account holds, when it is a Plex JWT: read (not verified) from
 * its claims. Every Plex JWT was verified before it was stored; this only tells a stored JWT
 * from a classic token and when it expires. Undefined for a classic token.
 */
export async function plexJwtTimes(token: string | undefined): Promise<VerifiedPlexJwt | undefined> {
  if (!token || token.split('.').length !== 3) return undefined;
  const { decodeJwt } = await loadJose();
  try {
    const { exp, iat } = decodeJwt(token);
    if (typeof exp !== 'number') return undefined;
    return { token, expiresAt: exp * 1000, issuedAt: typeof iat === 'number' ? iat * 1000 : Date.now() };
  } catch {
    return undefined;
  }
}
