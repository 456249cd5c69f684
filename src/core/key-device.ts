/**
 * The key device of an account: a second client identity of its own, with an Ed25519 key, that
 * holds the account's Plex JWT for plex.tv. Real servers refuse Plex JWTs, and a JWT issued for a
 * client identifier ends that identifier's classic token (plex-facts.md "JWT as real servers meet
 * it"), so the JWT never lives on the account's own identifier: the classic token keeps working
 * for the servers, and the key device is made beside it with no step for the user.
 */
import { PlexError } from './errors';
import type { DeviceKey } from './device-key';
import type { PlexTvClient } from './plex-tv';
import type { VerifiedPlexJwt } from './plex-jwt';

export interface KeyDeviceSetUp {
  /** plex.tv as the key device (its own client identifier). */
  device: PlexTvClient;
  key: DeviceKey;
  /** Approves a PIN as the account, with its classic token (PlexTvClient.approvePin). */
  approve: (code: string) => Promise<void>;
  signal?: AbortSignal;
  /** How long to wait between looks at the approved PIN (plex.tv asks for about one a second). */
  pollIntervalMs?: number;
  /** How many looks before giving up. */
  polls?: number;
}

/** Waits, unless the signal ends first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(new PlexError('stopped', { kind: 'aborted' }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Makes the key device (the pattern of streamarr PR #407): a strong PIN made with the public key
 * under the key device's identifier, approved at once as the account (PUT /api/v2/pins/link
 * with its classic token), then looked at with a device JWT until it carries the Plex JWT, which is
 * verified for the key device (audience and thumbprint) before it is returned.
 */
export async function setUpKeyDevice(options: KeyDeviceSetUp): Promise<VerifiedPlexJwt> {
  const { device, key, signal } = options;
  const pin = (await device.createPinWithKey({ jwk: key.publicJwk, strong: true, signal })).value;
  await options.approve(pin.code);
  const deviceJwt = await device.deviceJwtFor(key, signal);
  const polls = options.polls ?? 10;
  for (let look = 1; ; look++) {
    const { value } = await device.checkPinWithKey(pin.id, { deviceJwt, kid: key.kid }, signal);
    if (value.jwt) return value.jwt;
    if (look >= polls) break;
    await sleep(options.pollIntervalMs ?? 1000, signal);
  }
  throw new PlexError(`plex.tv did not hand out the key device's Plex JWT: its PIN was approved, but ${polls} looks found no token`, {
    kind: 'response',
    field: 'authToken',
  });
}
