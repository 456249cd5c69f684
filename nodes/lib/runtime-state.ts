import path from 'node:path';
import { createHash } from 'node:crypto';
import type { NodeAPI } from 'node-red';
import { SealedFile, fileSecret, keyFromSecret } from '../../src/core';

/** A token stored at runtime (sign-in, plex-poll-token with store) that no Deploy has saved yet. */
export interface SavedToken {
  token: string;
  /** Fingerprint of the deployed credential it replaced: a later edit in the editor wins. */
  replaces: string;
}

/** A PIN that a plex-poll-token node was polling, with the msgs that wait for it. */
export interface SavedPoll {
  id: number;
  intervalMs: number;
  timeoutAt?: number;
  expiresAt: number;
  startedAt: number;
  msgs: Record<string, unknown>[];
}

interface StateDocument {
  tokens: Record<string, SavedToken>;
  polls: Record<string, SavedPoll[]>;
}

const WRITE_DELAY_MS = 100;

export function fingerprint(token: string | undefined): string {
  return token ? createHash('sha256').update(token).digest('hex').slice(0, 16) : '';
}

/**
 * What must survive a restart of Node-RED between two Deploys: tokens obtained at runtime
 * and PINs being polled. Kept sealed (AES-256-GCM) in the user directory, with the
 * credentialSecret of settings.js as key when there is one, else a key file of our own
 * beside it (as Node-RED itself keeps its generated key). Without a user directory (tests,
 * embedded runtimes) it lives in memory only.
 */
export class RuntimeState {
  private document: StateDocument = { tokens: {}, polls: {} };
  private timer?: NodeJS.Timeout;

  constructor(private readonly file?: SealedFile<StateDocument>) {
    const stored = file?.read();
    if (stored) this.document = { tokens: stored.tokens ?? {}, polls: stored.polls ?? {} };
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

  /** Writes are gathered: a burst of changes (1,000 PINs at once) is one write. */
  private changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => this.flush(), WRITE_DELAY_MS);
    this.timer.unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.file?.write(this.document);
  }
}

/** One per user directory: each node module gets its own copy of RED.settings, so key by the directory. */
const states = new Map<string, RuntimeState>();

/** The one RuntimeState of a Node-RED runtime. */
export function runtimeState(RED: NodeAPI): RuntimeState {
  const settings = RED.settings as unknown as { userDir?: string; credentialSecret?: string | false };
  let state = states.get(settings.userDir ?? '');
  if (!state) {
    let file: SealedFile<StateDocument> | undefined;
    if (settings.userDir) {
      const dir = path.join(settings.userDir, '.plex-auth');
      const secret = typeof settings.credentialSecret === 'string' && settings.credentialSecret
        ? settings.credentialSecret
        : fileSecret(path.join(dir, 'secret'));
      file = new SealedFile<StateDocument>(path.join(dir, 'state.sealed.json'), keyFromSecret(secret));
    }
    state = new RuntimeState(file);
    states.set(settings.userDir ?? '', state);
  }
  return state;
}
