import type { Node, NodeDef } from 'node-red';
import type { MediaServerClient, PlexAccount, PlexError, Reusable, TlsSettings, TokenHolder, TransientToken } from '../../src/core';

export interface PlexAccountConfig extends NodeDef {
  clientIdentifier: string;
  product: string;
  deviceName: string;
  plexTvUrl: string;
  /** "token" (classic) or "jwt" (a key device with a Plex JWT for plex.tv besides the classic token); missing in older flows: "token". */
  auth?: string;
  /** The key device's client identifier ("jwt"); "" until one is made. */
  jwtClientIdentifier?: string;
}

export interface AccountCredentials {
  /** The classic token: what servers get. */
  token?: string;
  /** The key device's Plex JWT ("jwt"). */
  jwt?: string;
  /** The key device's Ed25519 private key (PKCS#8 PEM). */
  privateKey?: string;
}

/** The plex-account config node: its account, or why its settings are not usable. */
export interface PlexAccountNode extends Node<AccountCredentials> {
  account?: PlexAccount;
  configError?: PlexError;
}

export interface PlexServerConfig extends NodeDef {
  url: string;
  account: string;
  tls: string;
  /** The server's machineIdentifier: when set, the node finds the server through the account when url stops answering. */
  machineIdentifier?: string;
}

/** A plex-server as the flow nodes and routes use it. */
export interface PlexServer {
  client: MediaServerClient;
  /** The tls-config node's settings, for connections the client does not make (the notification socket). */
  tls?: TlsSettings;
  account: PlexAccount;
  machineIdentifier?: string;
  /** Who holds the token its calls carry: itself (a server token of its own), else its account. */
  tokens: TokenHolder;
  /**
   * Calls the server with the token it takes: the server token when set (or a shared server's
   * own, found through the account), else the account's (its server-scoped JWT once the server
   * has shown it takes one, else the classic token).
   */
  withToken<T>(call: (token: string) => Promise<T>): Promise<T>;
  /** A transient token that the plex-transient-token nodes with reuse on share. */
  transientTokens: Reusable<TransientToken>;
}

export interface PlexServerNode extends Node<{ token?: string }> {
  server?: PlexServer;
  configError?: PlexError;
}
