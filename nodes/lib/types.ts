import type { Node, NodeDef } from 'node-red';
import type { ClientIdentity, HttpClient, MediaServerClient, PlexTvClient, PlexError } from '../../src/core';

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
}
