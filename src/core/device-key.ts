import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { inputError } from './errors';
import { loadJose } from './jose';

/** The public half of the device key, as plex.tv takes it (the only part that ever leaves). */
export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  alg: 'EdDSA';
  use: 'sig';
  /** RFC 7638 thumbprint of the public key; plex.tv gives it back as the Plex JWT's `thumbprint`. */
  kid: string;
}

/** The scopes our device JWTs ask for: what the Plex JWT's `user` then carries. */
export const DEVICE_JWT_SCOPE = 'username,email,friendly_name';
/** A device JWT lives 5 minutes, as the nonce it carries (python-plexapi, @ctrl/plex). */
export const DEVICE_JWT_LIFETIME_SEC = 300;
/** The audience of a device JWT, and the issuer of a Plex JWT. */
export const PLEX_TV_AUDIENCE = 'plex.tv';

export interface DeviceJwtClaims {
  nonce: string;
  /** X-Plex-Client-Identifier of the device. */
  clientIdentifier: string;
  /** Epoch ms; now by default. */
  now?: number;
}

/**
 * The device's Ed25519 key. The private half stays in a private field: it is exported only
 * on request, as a PKCS#8 PEM string for a Node-RED password credential, and never shows in
 * JSON or util.inspect (logs).
 */
export class DeviceKey {
  readonly #privateKey: KeyObject;
  readonly publicJwk: Readonly<PublicJwk>;

  private constructor(privateKey: KeyObject, publicJwk: PublicJwk) {
    this.#privateKey = privateKey;
    this.publicJwk = Object.freeze(publicJwk);
  }

  /** A new key. */
  static generate(): Promise<DeviceKey> {
    return DeviceKey.of(generateKeyPairSync('ed25519').privateKey);
  }

  /** A key saved with exportPrivateKey(); the error never repeats the text it was given. */
  static async fromPrivateKey(pem: string): Promise<DeviceKey> {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch {
      throw inputError('the saved device key cannot be read (not a PKCS#8 PEM private key)');
    }
    if (key.asymmetricKeyType !== 'ed25519') throw inputError(`the saved device key is an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
    return DeviceKey.of(key);
  }

  private static async of(privateKey: KeyObject): Promise<DeviceKey> {
    const { calculateJwkThumbprint } = await loadJose();
    const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
    const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: x! }, 'sha256');
    return new DeviceKey(privateKey, { kty: 'OKP', crv: 'Ed25519', x: x!, alg: 'EdDSA', use: 'sig', kid });
  }

  get kid(): string {
    return this.publicJwk.kid;
  }

  /** The private key as PKCS#8 PEM, to keep as a credential; nothing else should ever call this. */
  exportPrivateKey(): string {
    return this.#privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  /** A device JWT for /api/v2/auth/token or a key PIN's poll: one nonce, 5 minutes. */
  async signDeviceJwt({ nonce, clientIdentifier, now = Date.now() }: DeviceJwtClaims): Promise<string> {
    const { SignJWT } = await loadJose();
    const iat = Math.floor(now / 1000);
    return new SignJWT({ nonce, scope: DEVICE_JWT_SCOPE })
      .setProtectedHeader({ kid: this.kid, alg: 'EdDSA', typ: 'JWT' })
      .setAudience(PLEX_TV_AUDIENCE)
      .setIssuer(clientIdentifier)
      .setIssuedAt(iat)
      .setExpirationTime(iat + DEVICE_JWT_LIFETIME_SEC)
      .sign(this.#privateKey);
  }

  toJSON(): { publicJwk: PublicJwk } {
    return { publicJwk: { ...this.publicJwk } };
  }

  [inspect.custom](): string {
    return `DeviceKey { kid: '${this.kid}' }`;
  }
}
