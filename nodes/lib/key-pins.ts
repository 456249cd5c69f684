/** Sign-in with the device key: PINs bound to it, and a device JWT of each PIN's own for its polls. */
import { PlexError, isPlexJwtRefusal, type DeviceKey, type PlexTvClient } from '../../src/core';
import type { PlexAccountNode } from './types';

/** plex.tv's answers to a PIN made with a key that a classic PIN may still get past. */
const KEY_PIN_REFUSALS = new Set([400, 404, 422]);

/**
 * For an account with auth "jwt", a PIN bound to its device key (its approval brings a Plex
 * JWT); when plex.tv refuses that, a classic PIN, with a warning in plex.tv's words.
 */
export async function createAccountPin(
  account: Pick<PlexAccountNode, 'auth' | 'deviceKey' | 'pinsWithKey'>,
  plexTv: PlexTvClient,
  options: { strong: boolean; forwardUrl?: string; signal?: AbortSignal },
  warn: (refusal: PlexError) => void,
) {
  if (account.auth !== 'jwt') return plexTv.createPin(options);
  const key = await account.deviceKey();
  try {
    const pin = await plexTv.createPinWithKey({ ...options, jwk: key.publicJwk });
    account.pinsWithKey.add(pin.value.id);
    return pin;
  } catch (error) {
    if (!(error instanceof PlexError) || error.kind !== 'http' || !KEY_PIN_REFUSALS.has(error.status ?? 0)) throw error;
    warn(error);
    return plexTv.createPin(options);
  }
}

/** A device JWT is signed again this long before its 5 minutes (and its nonce's) run out. */
const RESIGN_BEFORE_END_MS = 60_000;
const DEVICE_JWT_LIFETIME_MS = 5 * 60_000;

/**
 * The device JWTs of the PINs being polled: one per PIN, on a fresh nonce used for nothing
 * else, signed again when it is about to run out.
 */
export class PinDeviceJwts {
  private readonly jwts = new Map<number, { jwt: Promise<string>; signedAt: number }>();

  constructor(private readonly plexTv: () => PlexTvClient, private readonly key: () => Promise<DeviceKey>) {}

  /** Looks at a PIN made with the key; its approved authToken is a verified Plex JWT. */
  async check(id: number, signal: AbortSignal) {
    const key = await this.key();
    const deviceJwt = await this.deviceJwtFor(id, key, signal);
    try {
      return await this.plexTv().checkPinWithKey(id, { deviceJwt, kid: key.kid }, signal);
    } catch (error) {
      // A Plex JWT that fails verification ends the PIN (kind input: polling again would get the same one).
      if (isPlexJwtRefusal(error)) throw new PlexError(error.message, { kind: 'input', code: 'PLEX_BAD_ANSWER', field: error.field });
      throw error;
    }
  }

  forget(id: number): void {
    this.jwts.delete(id);
  }

  private deviceJwtFor(id: number, key: DeviceKey, signal: AbortSignal): Promise<string> {
    const now = Date.now();
    const held = this.jwts.get(id);
    if (held && now - held.signedAt < DEVICE_JWT_LIFETIME_MS - RESIGN_BEFORE_END_MS) return held.jwt;
    const jwt = this.plexTv().deviceJwtFor(key, signal);
    this.jwts.set(id, { jwt, signedAt: now });
    // A failed one (no nonce) is made again on the next poll.
    jwt.catch(() => this.jwts.get(id)?.jwt === jwt && this.jwts.delete(id));
    return jwt;
  }
}
