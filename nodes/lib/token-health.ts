/**
 * Whether a token still works, as its users see it: a plex-account (or a plex-server with a
 * token of its own) owns one TokenHealth, and the flow nodes that call with that token
 * register as its users (as Node-RED's MQTT nodes do with their broker) and deregister on
 * close. When plex.tv or a server refuses the token (PLEX_TOKEN_REJECTED) every user, idle
 * ones too, shows "sign in again" at once; a new token, or a later call with the token that
 * succeeds, clears it. No answer, a 5xx or a 429 says nothing about the token and changes nothing.
 */
import type { Node, NodeAPI } from 'node-red';
import { PlexError, type TokenCheckResult } from '../../src/core';
import { showStatusNow, statusText } from './flow-node';
import type { PlexAccountNode, PlexServerNode } from './types';

export interface LastCheck {
  at: number;
  result: TokenCheckResult;
}

export class TokenHealth {
  private readonly users = new Set<Node>();
  /** Users that show "sign in again" now: the others have shown their own status since. */
  private readonly showing = new Set<Node>();
  /** Counts the tokens held: an outcome only counts for the token the call was made with. */
  private generation = 0;
  private refusedNow = false;
  private checked?: LastCheck;

  /** `onSignInNeeded` hears each change of "sign-in needed" once, however many users show it. */
  constructor(
    private readonly RED: NodeAPI,
    private readonly onSignInNeeded?: (needed: boolean) => void,
  ) {}

  get signInNeeded(): boolean {
    return this.refusedNow;
  }

  get lastCheck(): LastCheck | undefined {
    return this.checked;
  }

  register(user: Node): void {
    this.users.add(user);
    if (this.refusedNow) this.show(user);
  }

  deregister(user: Node): void {
    this.users.delete(user);
    this.showing.delete(user);
  }

  /** The user shows its own status now (it took a msg): clearing the mark leaves that alone. */
  busy(user: Node): void {
    this.showing.delete(user);
  }

  /** Which token a call is made with: pass it back with the call's outcome. */
  ticket(): number {
    return this.generation;
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
    this.checked = { at: Date.now(), result };
    if (result.state === 'valid') this.mark(false);
    else if (result.state === 'revoked') this.mark(true);
  }

  private mark(refused: boolean): void {
    if (!refused && !this.refusedNow && !this.showing.size) return; // every success lands here: nothing to clear
    const changed = refused !== this.refusedNow;
    this.refusedNow = refused;
    if (changed) this.onSignInNeeded?.(refused);
    if (refused) {
      for (const user of this.users) if (!this.showing.has(user)) this.show(user);
      return;
    }
    for (const user of this.showing) showStatusNow(user, {});
    this.showing.clear();
  }

  private show(user: Node): void {
    this.showing.add(user);
    showStatusNow(user, { fill: 'red', shape: 'ring', text: statusText(this.RED, 'sign-in-again') });
  }
}

interface TokenUse {
  health: TokenHealth;
  /** Whether the node's calls carry the token (plex-pin's do not): only then does a success vouch for it. */
  sendsToken: boolean;
}

const uses = new WeakMap<Node, TokenUse>();

/** The health of the token a server calls with: its own token's, else its account's. */
function healthOf(RED: NodeAPI, via: { account?: string; server?: string }): TokenHealth | undefined {
  if (via.server) return (RED.nodes.getNode(via.server) as PlexServerNode | null)?.tokenHealth;
  if (via.account) return (RED.nodes.getNode(via.account) as PlexAccountNode | null)?.tokenHealth;
  return undefined;
}

/**
 * Registers a flow node as a user of the token of its account or server, until it closes.
 * Call it in the node's constructor, before handleInput (whose close handler clears the status).
 */
export function useTokenOf(RED: NodeAPI, node: Node, via: { account?: string; server?: string }, options: { sendsToken?: boolean } = {}): void {
  const health = healthOf(RED, via);
  if (!health) return;
  uses.set(node, { health, sendsToken: options.sendsToken ?? true });
  health.register(node);
  node.on('close', (_removed: boolean, done: () => void) => {
    health.deregister(node);
    uses.delete(node);
    done();
  });
}

/**
 * Watches the outcome of one input of a registered node. Call it in the same tick as the
 * handler started (its calls took the token then), after the node's own outcome handling,
 * so that "sign in again" is the status the node is left with.
 */
export function watchTokenUse(node: Node, outcome: Promise<unknown>): void {
  const use = uses.get(node);
  if (!use) return;
  const ticket = use.health.ticket();
  use.health.busy(node);
  outcome.then(
    () => {
      if (use.sendsToken) use.health.accepted(ticket);
    },
    (error: unknown) => {
      if (error instanceof PlexError && error.code === 'PLEX_TOKEN_REJECTED') use.health.refused(ticket);
    },
  );
}
