import type { Node, NodeDef } from 'node-red';
import type {
  ClientIdentity,
  DeviceKey,
  HttpClient,
  MediaServerClient,
  PlexTvClient,
  PlexError,
  TlsSettings,
  TokenCheckResult,
  VerifiedPlexJwt,
} from '../../src/core';
import type { TokenHealth } from './token-health';

export interface PlexAccountConfig extends NodeDef {
  clientIdentifier: string;
  product: string;
  deviceName: string;
  plexTvUrl: string;
  /** "jwt" (a device key and Plex JWTs that renew themselves) or "token" (classic); missing in flows saved before it: "token". */
  auth?: string;
}

export type AccountAuth = 'jwt' | 'token';

export interface TokenCredentials {
  token?: string;
  /** The device's Ed25519 private key (PKCS#8 PEM), for auth "jwt". */
  privateKey?: string;
}

/** The plex-account config node as flow nodes and admin routes use it. */
export interface PlexAccountNode extends Node<TokenCredentials> {
  identity: ClientIdentity;
  http: HttpClient;
  /** Undefined when the node's settings are unusable; configError says why. */
  plexTv?: PlexTvClient;
  configError?: PlexError;
  auth: AccountAuth;
  /** The account's token, or undefined when not signed in. */
  token(): string | undefined;
  /** Keeps a token: in the runtime's credentials (saved encrypted on the next Deploy) and sealed on disk now. */
  storeToken(token: string): void;
  /** Keeps a verified Plex JWT (a sign-in with the key, or a move to JWT) and renews it from now on. */
  storeJwt(jwt: VerifiedPlexJwt): void;
  forgetToken(): void;
  /** The device key, made (and kept like the token) when first needed. */
  deviceKey(): Promise<DeviceKey>;
  /** PINs made with the device key (plex-pin), so that plex-poll-token polls them with a device JWT. */
  pinsWithKey: Set<number>;
  /** The Plex JWT's expiry (epoch ms) when the account holds one it renews. */
  tokenExpiresAt(): number | undefined;
  /**
   * Calls with the account's token: renewed first when it has expired; a 498 (expired Plex
   * JWT) renews once and retries the call once. PLEX_NOT_SIGNED_IN without a token.
   */
  withToken<T>(call: (token: string) => Promise<T>): Promise<T>;
  /** Whether plex.tv refused the token ("sign-in needed"), the last check, and who to tell. */
  tokenHealth: TokenHealth;
  /** Asks plex.tv about the token now and records the answer; undefined when there is no token to check. */
  checkToken(signal?: AbortSignal): Promise<TokenCheckResult | undefined>;
}

export interface PlexServerConfig extends NodeDef {
  url: string;
  account: string;
  tls: string;
  /** The server's machineIdentifier: when set, the node finds the server through the account when url stops answering. */
  machineIdentifier?: string;
}

export interface PlexServerNode extends Node<TokenCredentials> {
  client?: MediaServerClient;
  /** The tls-config node's settings, for connections the client does not make (the notification socket). */
  tls?: TlsSettings;
  configError?: PlexError;
  account?: PlexAccountNode;
  /** The server token when set, else the account's. */
  token(): string | undefined;
  /** Calls with token(): the account's, through its withToken (renewal, one retry on 498). */
  withToken<T>(call: (token: string) => Promise<T>): Promise<T>;
  /** The health of the token it calls with: its own token's, else its account's. */
  tokenHealth?: TokenHealth;
}
