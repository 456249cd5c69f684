/** Plex JWTs made in a test, signed with keys the test holds (to make good and bad ones). */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { loadJose } from '../../src/core/jose';

export interface PlexJwtFields {
  signer: KeyObject;
  alg?: string;
  iss?: string;
  aud?: string | string[];
  thumbprint?: string;
  /** Seconds from now (negative: already expired). */
  expiresInSec?: number;
}

export function ed25519(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

export async function publicJwkOf(key: KeyObject): Promise<Record<string, unknown>> {
  const { exportJWK } = await loadJose();
  return { ...(await exportJWK(key)), alg: 'EdDSA', use: 'sig' };
}

export async function makePlexJwt(fields: PlexJwtFields & { clientIdentifier: string; kid: string }): Promise<string> {
  const { SignJWT } = await loadJose();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ thumbprint: fields.thumbprint ?? fields.kid, user: { id: 1, username: 'someone' } })
    .setProtectedHeader({ alg: fields.alg ?? 'EdDSA', kid: 'plex-key', typ: 'JWT' })
    .setIssuer(fields.iss ?? 'plex.tv')
    .setAudience(fields.aud ?? ['plex.tv', fields.clientIdentifier])
    .setIssuedAt(now)
    .setExpirationTime(now + (fields.expiresInSec ?? 7 * 24 * 3600))
    .sign(fields.signer);
}

/** An unsigned JWT (alg none), as an attacker would send it. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}
