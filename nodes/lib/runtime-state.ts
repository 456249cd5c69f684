import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { NodeAPI } from 'node-red';
import { t } from './i18n';
import { SealedFile, existingFileSecret, fileSecret, keyFromSecret } from '../../src/core';

/** A token stored at runtime (sign-in, plex-poll-token with store) that no Deploy has saved yet. */
export interface SavedToken {
  token: string;
  /**
   * Fingerprints of the credentials it replaced (sign-in after sign-in since the last Deploy
   * that saved one): when the runtime's credential is one of them, this token is newer; when
   * it is none of them, the user brought another and theirs wins. One string in older files.
   */
  replaces: string[] | string;
  /**
   * The device key (auth "jwt") the token is bound to, made at runtime or deployed. A stored
   * token with the same key as the deployed credential is that key's latest JWT (a renewal).
   */
  privateKey?: string;
}

/** A PIN that a plex-poll-token node was polling, with the msgs that wait for it. */
export interface SavedPoll {
  id: number;
  intervalMs: number;
  timeoutAt?: number;
  expiresAt: number;
  startedAt: number;
  msgs: Record<string, unknown>[];
  /** Made with the device key: polled with a device JWT, its token is a Plex JWT. */
  withKey?: boolean;
}

/** Where a plex-server found its server after its url stopped answering: used until its configuration changes. */
export interface SavedServerAddress {
  /** The configuration it was found for. */
  configuredUrl: string;
  machineIdentifier: string;
  url: string;
  /** A shared server's own token, from plex.tv. */
  token?: string;
  /** When it was found there (epoch ms); not in state saved before it was kept. */
  movedAt?: number;
}

interface StateDocument {
  tokens: Record<string, SavedToken>;
  polls: Record<string, SavedPoll[]>;
  servers: Record<string, SavedServerAddress>;
}

type StateLog = (level: 'warn' | 'info', key: string, values?: Record<string, string | number>) => void;

const WRITE_DELAY_MS = 100;
/** After a failed write: try again after this long, doubling up to the cap. */
const RETRY_MS = 5_000;
const MAX_RETRY_MS = 5 * 60_000;

export function fingerprint(token: string | undefined): string {
  return token ? createHash('sha256').update(token).digest('hex').slice(0, 16) : '';
}

/**
 * The sealed file in <userDir>/.plex-auth/. Its key is the credentialSecret of settings.js
 * when there is one, else a secret file of our own beside it (as Node-RED keeps its own
 * generated key). A credentialSecret set after the state was sealed with our secret file
 * is taken up as Node-RED does with its credentials: read with the old key, written with
 * the new one.
 */
class StateFile {
  private readonly secretFile: string;
  private readonly file: string;
  /** A key the state was found under that is not the current one: gone after the next write. */
  private oldSecret?: string;

  constructor(
    dir: string,
    private readonly credentialSecret: string | undefined,
    private readonly log: StateLog,
  ) {
    this.secretFile = path.join(dir, 'secret');
    this.file = path.join(dir, 'state.sealed.json');
  }

  private sealed(secret: string): SealedFile<StateDocument> {
    return new SealedFile<StateDocument>(this.file, keyFromSecret(secret));
  }

  read(): StateDocument | undefined {
    const ownSecret = existingFileSecret(this.secretFile);
    const candidates = [this.credentialSecret, ownSecret].filter((secret): secret is string => Boolean(secret));
    for (const secret of candidates) {
      const document = this.sealed(secret).read();
      if (!document) continue;
      if (secret !== (this.credentialSecret ?? ownSecret)) this.oldSecret = secret;
      return document;
    }
    if (candidates.length && this.sealed(candidates[0]).exists()) this.setAside();
    return undefined;
  }

  /** Throws when the disk refuses; the caller keeps the state in memory and tries again. */
  write(document: StateDocument): void {
    this.sealed(this.credentialSecret ?? fileSecret(this.secretFile)).write(document);
    if (this.oldSecret && this.credentialSecret) fs.rmSync(this.secretFile, { force: true });
    this.oldSecret = undefined;
  }

  /** Sealed with a key we no longer have (credentialSecret changed): keep it aside for a change back, say so. */
  private setAside(): void {
    const aside = `${this.file}.unreadable-${Date.now()}`;
    try {
      fs.renameSync(this.file, aside);
    } catch {
      // the next write replaces it
    }
    this.log('warn', 'unreadable', { file: this.file, aside: path.basename(aside) });
  }

  /** True when the state was read with an old key and must be sealed again with the current one. */
  get migrating(): boolean {
    return this.oldSecret !== undefined;
  }
}

/**
 * What must survive a restart of Node-RED between two Deploys: tokens obtained at runtime
 * and PINs being polled, sealed on disk (StateFile). Without a user directory (tests,
 * embedded runtimes) it lives in memory only. A disk that refuses a write (full, read-only,
 * not a directory) never stops Node-RED: the state is kept in memory, a warning says so
 * once, and the write is tried again later.
 */
export class RuntimeState {
  private document: StateDocument = { tokens: {}, polls: {}, servers: {} };
  private timer?: NodeJS.Timeout;
  private dirty = false;
  private failures = 0;

  constructor(
    private readonly file: StateFile | undefined,
    private readonly log: StateLog,
  ) {
    const stored = file?.read();
    if (stored) this.document = { tokens: stored.tokens ?? {}, polls: stored.polls ?? {}, servers: stored.servers ?? {} };
    if (file?.migrating) this.changed();
  }

  token(accountId: string): SavedToken | undefined {
    return this.document.tokens[accountId];
  }

  setToken(accountId: string, saved: SavedToken | undefined): void {
    if (saved) this.document.tokens[accountId] = saved;
    else delete this.document.tokens[accountId];
    this.changed();
  }

  polls(nodeId: string): SavedPoll[] {
    return this.document.polls[nodeId] ?? [];
  }

  setPolls(nodeId: string, polls: SavedPoll[]): void {
    if (polls.length) this.document.polls[nodeId] = polls;
    else delete this.document.polls[nodeId];
    this.changed();
  }

  serverAddress(nodeId: string): SavedServerAddress | undefined {
    return this.document.servers[nodeId];
  }

  setServerAddress(nodeId: string, saved: SavedServerAddress | undefined): void {
    if (saved) this.document.servers[nodeId] = saved;
    else delete this.document.servers[nodeId];
    this.changed();
  }

  /** Writes are gathered: a burst of changes (1,000 PINs at once) is one write. */
  private changed(): void {
    this.dirty = true;
    if (!this.file || this.timer) return;
    this.later(WRITE_DELAY_MS);
  }

  private later(ms: number): void {
    this.timer = setTimeout(() => this.flush(), ms);
    this.timer.unref();
  }

  /** Writes now what changed. Never throws: it runs from timers and close handlers. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.file || !this.dirty) return;
    try {
      this.file.write(this.document);
      this.dirty = false;
      if (this.failures) this.log('info', 'written');
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      const retryMs = Math.min(RETRY_MS * 2 ** (this.failures - 1), MAX_RETRY_MS);
      if (this.failures === 1) {
        this.log('warn', 'write-failed', { message: (error as Error).message, seconds: retryMs / 1000 });
      }
      this.later(retryMs);
    }
  }
}

/** One per user directory: each node module gets its own copy of RED.settings, so key by the directory. */
const states = new Map<string, RuntimeState>();

/** The one RuntimeState of a Node-RED runtime. */
export function runtimeState(RED: NodeAPI): RuntimeState {
  const settings = RED.settings as unknown as { userDir?: string; credentialSecret?: string | false };
  let state = states.get(settings.userDir ?? '');
  if (!state) {
    const log: StateLog = (level, key, values) => RED.log[level](t(RED, `state.${key}`, values));
    const secret = typeof settings.credentialSecret === 'string' && settings.credentialSecret ? settings.credentialSecret : undefined;
    const file = settings.userDir ? new StateFile(path.join(settings.userDir, '.plex-auth'), secret, log) : undefined;
    state = new RuntimeState(file, log);
    states.set(settings.userDir ?? '', state);
  }
  return state;
}
