import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { PinPoller, parsePinId, readPlexDate, type PollOutcome } from '../src/core';
import { errorStatus, statusText } from './lib/status';
import { FlowNode } from './lib/flow-node';
import { accountNode, usableAccount } from './lib/config-nodes';
import { runtimeState, type SavedPoll } from './lib/runtime-state';
import { formatTimeLeft } from '../src/shared/time';

interface PlexPollTokenConfig extends NodeDef {
  account: string;
  interval: number | string;
  timeout: number | string;
  store: boolean;
}

type Send = (msg: Array<NodeMessage | null>) => void;
type Done = (err?: Error) => void;

/** A msg waiting for a PIN's outcome, with the means to answer it. */
interface Waiter {
  msg: NodeMessage;
  send: Send;
  done: Done;
  /** The msg as sealed to disk, copied once when it starts waiting. */
  saved: Record<string, unknown>;
}

/** `{ id }` as plex-pin sends it, or the id itself. */
function pinIdOf(payload: unknown): number {
  const id = payload !== null && typeof payload === 'object' && 'id' in payload ? (payload as { id: unknown }).id : payload;
  return parsePinId(id);
}

/** The PIN's expiry as plex-pin sends it (ISO 8601), read as a peer's date is: one without an offset is UTC, not local time. */
function expiryOf(payload: unknown): number | undefined {
  const expiresAt = payload !== null && typeof payload === 'object' ? (payload as { expiresAt?: unknown }).expiresAt : undefined;
  return typeof expiresAt === 'string' ? readPlexDate(expiresAt, 'msg.payload.expiresAt')?.epochMs : undefined;
}

/** A copy of a msg that can be sealed to disk (no HTTP request/response objects, no cycles). */
function storable(msg: NodeMessage): Record<string, unknown> {
  const { req: _req, res: _res, ...rest } = msg as NodeMessage & { req?: unknown; res?: unknown };
  try {
    return JSON.parse(JSON.stringify(rest));
  } catch {
    return { _msgid: msg._msgid, topic: msg.topic, payload: msg.payload };
  }
}

/** How long a burst of changes is gathered before the PINs are saved and the status shown. */
const SETTLE_MS = 100;

export = function (RED: NodeAPI): void {
  const state = runtimeState(RED);

  function PlexPollToken(this: Node, config: PlexPollTokenConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    new FlowNode(RED, node).watchToken(accountNode(RED, config.account)?.account, { needsToken: false });
    const intervalMs = Math.max(1, Number(config.interval) || 2) * 1000;
    const timeoutMs = Math.max(0, Number(config.timeout) || 0) * 1000;
    const waiters = new Map<number, Waiter[]>();
    let ticker: NodeJS.Timeout | undefined;
    let settle: NodeJS.Timeout | undefined;

    const poller = new PinPoller({
      check: (id, signal) => usableAccount(RED, config.account).plexTv.checkPin(id, signal),
      onOutcome: deliver,
      onWarning: (text) => node.warn(text),
      onChange: changed,
    });

    function deliver(outcome: PollOutcome): void {
      const list = waiters.get(outcome.id) ?? [];
      waiters.delete(outcome.id);
      if (outcome.kind === 'approved') {
        const account = accountNode(RED, config.account)?.account;
        const { pin } = outcome;
        const authToken = pin.authToken as string;
        const stored = config.store === true && account !== undefined;
        // The classic token, for every auth: what servers take. A "jwt" account makes its key device after it.
        if (stored) account.signIn(authToken);
        const payload = { id: outcome.id, authToken, clientIdentifier: account?.identity.clientIdentifier, stored };
        if (pin.newRegistration != null) Object.assign(payload, { newRegistration: pin.newRegistration });
        for (const { msg, send, done } of list) {
          send([{ ...msg, payload: { ...payload } }, null]);
          done();
        }
        node.status({ fill: 'green', shape: 'dot', text: statusText(RED, 'approved') });
      } else if (outcome.kind === 'ended') {
        for (const { msg, send, done } of list) {
          send([null, { ...msg, payload: { id: outcome.id, reason: outcome.reason } }]);
          done();
        }
        node.status({ fill: 'grey', shape: 'ring', text: statusText(RED, outcome.reason) });
      } else {
        for (const { done } of list) done(outcome.error);
        node.status({ fill: 'red', shape: 'ring', text: errorStatus(RED, outcome.error) });
      }
      changed();
    }

    /**
     * Saving the pending PINs and showing the status look at every PIN: done once for a burst of
     * changes (10,000 PINs arriving at once), not once per change.
     */
    function changed(): void {
      settle ??= setTimeout(() => {
        settle = undefined;
        persist();
        showStatus();
      }, SETTLE_MS);
    }

    function persist(): void {
      const polls: SavedPoll[] = poller.pending().map(({ id, intervalMs: every, timeoutAt, expiresAt, startedAt }) => ({
        id,
        intervalMs: every,
        timeoutAt,
        expiresAt,
        startedAt,
        msgs: (waiters.get(id) ?? []).map(({ saved }) => saved),
      }));
      state.setPolls(node.id, polls);
    }

    /** "waiting, 14:32 left" while PINs are pending: updated every second. */
    function showStatus(): void {
      const { count, faulty, endsAt } = poller.summary();
      if (!count) {
        clearInterval(ticker);
        ticker = undefined;
        return;
      }
      const left = endsAt - Date.now();
      const text =
        count === 1
          ? statusText(RED, faulty ? 'retrying' : 'waiting', { time: formatTimeLeft(left) })
          : statusText(RED, 'waiting-many', { count, time: formatTimeLeft(left) });
      node.status({ fill: faulty ? 'yellow' : 'blue', shape: faulty ? 'ring' : 'dot', text });
      ticker ??= setInterval(showStatus, 1000);
    }

    /** Throws, and keeps nothing of the msg, when the poller is polling as many PINs as it may. */
    function wait(id: number, waiter: Omit<Waiter, 'saved'>, spec: { timeoutAt?: number; expiresAt?: number; startedAt?: number }): void {
      poller.add({ id, intervalMs, ...spec });
      const entry = { ...waiter, saved: storable(waiter.msg) };
      const list = waiters.get(id);
      if (list) list.push(entry);
      else waiters.set(id, [entry]);
    }

    // PINs this node was polling before a restart or redeploy: poll them again.
    for (const saved of state.polls(node.id)) {
      for (const msg of saved.msgs) {
        const resumed = msg as NodeMessage;
        try {
          wait(saved.id, { msg: resumed, send: (out) => node.send(out), done: (err) => err && node.error(err, resumed) }, saved);
        } catch (error) {
          node.error(error, resumed);
        }
      }
    }

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        if ((msg as { cancel?: unknown }).cancel === true) {
          const hasId = msg.payload !== undefined && msg.payload !== null && msg.payload !== '' && typeof msg.payload !== 'boolean';
          poller.cancel(hasId ? pinIdOf(msg.payload) : undefined);
          done();
          return;
        }
        const id = pinIdOf(msg.payload);
        usableAccount(RED, config.account); // an unusable account is this msg's error, before any polling
        wait(id, { msg, send, done }, { timeoutAt: timeoutMs ? Date.now() + timeoutMs : undefined, expiresAt: expiryOf(msg.payload) });
        changed();
      } catch (error) {
        node.status({ fill: 'red', shape: 'ring', text: errorStatus(RED, error) });
        done(error as Error);
      }
    });

    node.on('close', (removed: boolean, done: () => void) => {
      clearTimeout(settle);
      if (removed) state.setPolls(node.id, []);
      else persist();
      poller.stop();
      waiters.clear();
      clearInterval(ticker);
      state.flush();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('plex-poll-token', PlexPollToken as never);
};
