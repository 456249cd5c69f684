/**
 * Where a plex-account keeps what must last, in Node-RED: its credentials (token, jwt,
 * privateKey: saved encrypted with the next Deploy) and, for what the runtime obtained since
 * the last Deploy, the sealed runtime state (it survives a restart before any Deploy). Here are
 * the rules that decide between what was deployed and what the runtime holds.
 */
import type { NodeAPI } from 'node-red';
import type { AccountRecord, AccountStorage } from '../../src/core';
import { fingerprint, runtimeState, type SavedAccount } from './runtime-state';
import type { AccountCredentials } from './types';

/** Fingerprints a record remembers besides the first: sign-ins without a Deploy between. */
const MAX_HISTORY = 64;

/** An account's record as Node-RED credentials: the key device's client identifier is a property, not a credential. */
export function credentialsOf(record: AccountRecord, others: AccountCredentials = {}): AccountCredentials {
  const { token: _token, jwt: _jwt, privateKey: _key, ...rest } = others;
  return {
    ...rest,
    ...(record.token ? { token: record.token } : {}),
    ...(record.keyDevice ? { jwt: record.keyDevice.jwt, privateKey: record.keyDevice.privateKey } : {}),
  };
}

/** A record from credentials: a key device only with the identifier it was made for. */
export function recordOf(credentials: AccountCredentials | undefined, keyDeviceIdentifier: string | undefined): AccountRecord {
  const record: AccountRecord = {};
  if (credentials?.token) record.token = credentials.token;
  if (credentials?.jwt && credentials.privateKey && keyDeviceIdentifier) {
    record.keyDevice = { clientIdentifier: keyDeviceIdentifier, privateKey: credentials.privateKey, jwt: credentials.jwt };
  }
  return record;
}

/**
 * Credentials only: an account signed in from its dialog before its first Deploy. What it
 * obtains goes into the runtime's credentials, which the Deploy of the new node saves.
 */
export class CredentialsStore implements AccountStorage {
  constructor(
    private readonly RED: NodeAPI,
    private readonly id: string,
    private readonly keyDeviceIdentifier?: string,
  ) {}

  load(): AccountRecord {
    return recordOf(this.RED.nodes.getCredentials(this.id) as AccountCredentials | undefined, this.keyDeviceIdentifier);
  }

  save(record: AccountRecord): void {
    this.RED.nodes.addCredentials(this.id, credentialsOf(record, this.RED.nodes.getCredentials(this.id) as AccountCredentials | undefined));
  }
}

/**
 * A deployed account: the credentials Node-RED gives it, and the sealed runtime state. The
 * sealed record is newer than the credentials when their token is its own or one it replaced
 * (a restart after sign-ins without Deploy; flows stopped and started); any other deployed
 * token is the user's own (an import, a restored backup), and wins.
 */
export class NodeRedAccountStore implements AccountStorage {
  private readonly state;

  constructor(
    private readonly RED: NodeAPI,
    private readonly id: string,
    /** node.credentials as the node was created with them. */
    private readonly deployed: AccountCredentials | undefined,
    private readonly keyDeviceIdentifier?: string,
  ) {
    this.state = runtimeState(RED);
  }

  load(): AccountRecord {
    const sealed = this.state.account(this.id);
    const deployedToken = fingerprint(this.deployed?.token);
    if (sealed && (deployedToken === fingerprint(sealed.record.token) || sealed.history.includes(deployedToken))) {
      // The runtime's is newer: the next Deploy saves it, so into the runtime's credentials with it.
      this.RED.nodes.addCredentials(this.id, credentialsOf(sealed.record, this.deployed));
      return sealed.record;
    }
    if (sealed) this.state.setAccount(this.id, undefined);
    return recordOf(this.deployed, this.keyDeviceIdentifier);
  }

  save(record: AccountRecord): void {
    const sealed = this.state.account(this.id);
    const replaced = fingerprint(sealed ? sealed.record.token : this.deployed?.token);
    const history = sealed?.history ?? [];
    const changed = replaced !== fingerprint(record.token) && !history.includes(replaced);
    const kept: SavedAccount = { record, history: changed ? boundedHistory([...history, replaced]) : history };
    this.RED.nodes.addCredentials(this.id, credentialsOf(record, this.RED.nodes.getCredentials(this.id) as AccountCredentials | undefined));
    this.state.setAccount(this.id, kept);
  }

  /** The node was removed: nothing of it is kept. */
  forget(): void {
    this.state.setAccount(this.id, undefined);
  }
}

/** The first entry (what was deployed when the runtime took over) and the latest ones. */
function boundedHistory(history: string[]): string[] {
  return history.length <= MAX_HISTORY + 1 ? history : [history[0], ...history.slice(-MAX_HISTORY)];
}
