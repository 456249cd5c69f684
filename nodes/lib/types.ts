import type { Node, NodeDef } from 'node-red';
import type { ClientIdentity, HttpClient, MediaServerClient, PlexTvClient, PlexError, TokenCheckResult } from '../../src/core';
import type { TokenHealth } from './token-health';

export interface PlexAccountConfig extends NodeDef {
  clientIdentifier: string;
  product: string;
  deviceName: string;
  plexTvUrl: string;
}

export interface TokenCredentials {
  token?: string;
}

/** The plex-account config node as flow nodes and admin routes use it. */
export interface PlexAccountNode extends Node<TokenCredentials> {
  identity: ClientIdentity;
  http: HttpClient;
  /** Undefined when the node's settings are unusable; configError says why. */
  plexTv?: PlexTvClient;
  configError?: PlexError;
  /** The account's token, or undefined when not signed in. */
  token(): string | undefined;
  /** Keeps a token: in the runtime's credentials (saved encrypted on the next Deploy) and sealed on disk now. */
  storeToken(token: string): void;
  forgetToken(): void;
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
  configError?: PlexError;
  account?: PlexAccountNode;
  /** The server token when set, else the account's. */
  token(): string | undefined;
  /** The health of the token it calls with: its own token's, else its account's. */
  tokenHealth?: TokenHealth;
}
