/**
 * plex.tv's own side of keys and JWTs in the stand-in: the keys it signs with, the nonces it
 * hands out, device keys registered for accounts, and the Plex JWTs it issues (which end the
 * classic token of the device they are issued for).
 */
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { loadJose } from '../../src/core/jose';
import type { PlexStandIn, StandInJwk, StandInPin, StandInUser } from '../plex-stand-in';
import { Refusal } from './exchange';

const NONCE_LIFETIME_MS = 5 * 60_000;

export type Jose = Awaited<ReturnType<typeof loadJose>>;

/** plex.tv's own side of JWTs: the keys it signs with and the nonces it handed out. */
export class PlexTvSigner {
  private readonly nonces = new Map<string, { clientIdentifier: string; expiresAt: number; usedFor?: string }>();
  /** A spare key listed first (as during a key rotation), then the one that signs. */
  private readonly keys: Array<{ kid: string; privateKey: KeyObject }> = ['plex-tv-spare', 'plex-tv-1'].map((kid) => ({
    kid,
    privateKey: generateKeyPairSync('ed25519').privateKey,
  }));

  newNonce(clientIdentifier: string): string {
    const nonce = randomUUID();
    this.nonces.set(nonce, { clientIdentifier, expiresAt: Date.now() + NONCE_LIFETIME_MS });
    return nonce;
  }

  /** A nonce is good for 5 minutes and one purpose: a used one is refused (422). A PIN's polls may show theirs again. */
  takeNonce(nonce: string, clientId: string, purpose: string): void {
    const entry = this.nonces.get(nonce);
    if (!entry || entry.clientIdentifier !== clientId || Date.now() >= entry.expiresAt) throw new Refusal(422, 1099, 'Invalid nonce');
    if (entry.usedFor !== undefined && (purpose === 'token' || entry.usedFor !== purpose)) throw new Refusal(422, 1099, 'Nonce already used');
    entry.usedFor = purpose;
  }

  async publicJwks(): Promise<unknown[]> {
    const { exportJWK } = await loadJose();
    return Promise.all(this.keys.map(async ({ kid, privateKey }) => ({ ...(await exportJWK(createPublicKey(privateKey))), kid, alg: 'EdDSA', use: 'sig' })));
  }

  async sign(
    jose: Jose,
    claims: { clientId: string; kid: string; nonce: string; user: StandInUser; lifetimeSec: number },
  ): Promise<{ token: string; expiresAt: number }> {
    const signer = this.keys[this.keys.length - 1];
    const { user } = claims;
    const now = Math.floor(Date.now() / 1000);
    const token = await new jose.SignJWT({
      nonce: claims.nonce,
      thumbprint: claims.kid,
      user: { id: user.id, uuid: user.uuid, username: user.username, email: user.email, friendly_name: user.username, restricted: false, anonymous: false },
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: 'JWT' })
      .setIssuer('plex.tv')
      .setAudience(['plex.tv', claims.clientId])
      .setIssuedAt(now)
      .setExpirationTime(now + claims.lifetimeSec)
      .sign(signer.privateKey);
    return { token, expiresAt: (now + claims.lifetimeSec) * 1000 };
  }
}

/** Approving a PIN made with a key registers that key for the account; the poll with a device JWT then gets a Plex JWT. */
export function approveKeyPin(standIn: PlexStandIn, pin: StandInPin, username: string): string {
  pin.approvedAccount ??= standIn.addAccount(username);
  registerKey(standIn, pin.jwk!, pin.clientIdentifier, standIn.accountTokens.get(pin.approvedAccount)!);
  return pin.approvedAccount;
}

export function registerKey(standIn: PlexStandIn, jwk: StandInJwk, clientIdentifier: string, user: StandInUser): void {
  const taken = standIn.deviceKeys.get(jwk.kid);
  if (taken && taken.clientIdentifier !== clientIdentifier) throw new Refusal(422, 1099, 'Thumbprint Already Taken');
  standIn.deviceKeys.set(jwk.kid, { jwk, clientIdentifier, user });
}

export async function issuePlexJwt(standIn: PlexStandIn, jose: Jose, clientId: string, kid: string, nonce: string, user: StandInUser): Promise<string> {
  const { token, expiresAt } = await standIn.signer.sign(jose, { clientId, kid, nonce, user, lifetimeSec: standIn.jwtLifetimeSec });
  endClassicTokensOf(standIn, clientId);
  standIn.plexJwts.set(token, { clientIdentifier: clientId, kid, expiresAt, revoked: false });
  standIn.accountTokens.set(token, user);
  standIn.serverTokens.add(token);
  return token;
}

/** A JWT issued for a device ends that device's classic token (streamarr PR #407), on plex.tv and on the servers. */
function endClassicTokensOf(standIn: PlexStandIn, clientId: string): void {
  for (const [token, owner] of standIn.classicTokenClients) {
    if (owner !== clientId) continue;
    standIn.classicTokenClients.delete(token);
    standIn.accountTokens.delete(token);
    standIn.serverTokens.delete(token);
  }
}

/**
 * The accessToken plex.tv lists for an owned server when resources is asked with a Plex JWT: a
 * server-scoped JWT of ~536 characters (a shared server's stays classic). The server takes it
 * only when it takes Plex JWTs at all.
 */
export async function serverScopedJwt(standIn: PlexStandIn, machineIdentifier: string, user: StandInUser, serverTokens: Set<string>): Promise<string> {
  const key = `${machineIdentifier}|${user.id}`;
  let token = standIn.serverScopedJwts.get(key);
  if (!token) {
    token = (
      await standIn.signer.sign(await loadJose(), {
        clientId: machineIdentifier,
        kid: `server-${machineIdentifier}`,
        nonce: randomUUID(),
        user,
        lifetimeSec: standIn.jwtLifetimeSec,
      })
    ).token;
    standIn.serverScopedJwts.set(key, token);
  }
  serverTokens.add(token);
  return token;
}
