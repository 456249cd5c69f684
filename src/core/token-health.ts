/**
 * Whether a token still works, as the calls made with it tell: refused by plex.tv or a server
 * (PLEX_TOKEN_REJECTED: "sign in again"), or fine. No answer, a 5xx or a 429 says nothing about
 * the token and changes nothing. An outcome only counts for the token the call was made with:
 * each call takes a ticket, and a new token makes every older ticket void.
 */
import { PlexError } from './errors';
import type { TokenCheckResult } from './token-check';

export interface LastCheck {
  /** Epoch ms. */
  at: number;
  result: TokenCheckResult;
}

export class TokenHealth {
  private generation = 0;
  private refusedNow = false;
  private checked?: LastCheck;
  private readonly listeners = new Set<(signInNeeded: boolean) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  get signInNeeded(): boolean {
    return this.refusedNow;
  }

  get lastCheck(): LastCheck | undefined {
    return this.checked;
  }

  /** Called with the new state each time "sign in again" comes or goes; returns how to stop listening. */
  onChange(listener: (signInNeeded: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Which token a call is made with: pass it back with the call's outcome. */
  ticket(): number {
    return this.generation;
  }

  /** Runs a call with the token and records what it said about it: refused, or fine. */
  async use<T>(token: string, call: (token: string) => Promise<T>): Promise<T> {
    const ticket = this.generation;
    try {
      const result = await call(token);
      this.accepted(ticket);
      return result;
    } catch (error) {
      if (error instanceof PlexError && error.code === 'PLEX_TOKEN_REJECTED') this.refused(ticket);
      throw error;
    }
  }

  /** A new token was stored, or the token forgotten: nothing said about the old one holds. */
  tokenChanged(): void {
    this.generation += 1;
    this.checked = undefined;
    this.mark(false);
  }

  refused(ticket: number): void {
    if (ticket === this.generation) this.mark(true);
  }

  accepted(ticket: number): void {
    if (ticket === this.generation) this.mark(false);
  }

  /** A check of the token on plex.tv (at start, daily, or the dialog's Check). */
  checkedWith(ticket: number, result: TokenCheckResult): void {
    if (ticket !== this.generation) return;
    this.checked = { at: this.now(), result };
    if (result.state === 'valid') this.mark(false);
    else if (result.state === 'revoked') this.mark(true);
  }

  private mark(refused: boolean): void {
    if (refused === this.refusedNow) return;
    this.refusedNow = refused;
    for (const listener of this.listeners) listener(refused);
  }
}
