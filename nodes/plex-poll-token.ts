import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { PinPoller, parsePinId, type KeyPinState, type PollOutcome } from '../src/core';
import { errorStatus, statusText } from './lib/flow-node';
import { usableAccount } from './lib/config-nodes';
import { runtimeState, type SavedPoll } from './lib/runtime-state';
import type { PlexAccountNode } from './lib/types';
import { useTokenOf } from './lib/token-health';
import { PinDeviceJwts } from './lib/key-pins';

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

function expiryOf(payload: unknown): number | undefined {
  const expiresAt = payload !== null && typeof payload === 'object' ? (payload as { expiresAt?: unknown }).expiresAt : undefined;
  const parsed = typeof expiresAt === 'string' ? Date.parse(expiresAt) : NaN;
  return Number.isNaN(parsed) ? undefined : parsed;
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

function formatLeft(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export = function (RED: NodeAPI): void {
  const state = runtimeState(RED);

  function PlexPollToken(this: Node, config: PlexPollTokenConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    useTokenOf(RED, node, { account: config.account }, { sendsToken: false });
    const intervalMs = Math.max(1, Number(config.interval) || 2) * 1000;
    const timeoutMs = Math.max(0, Number(config.timeout) || 0) * 1000;
    const waiters = new Map<number, Waiter[]>();
    let ticker: NodeJS.Timeout | undefined;
    let settle: NodeJS.Timeout | undefined;

    /** The PINs made with the account's device key (plex-pin said so, or they were saved so). */
    const withKey = new Set<number>();
    const deviceJwts = new PinDeviceJwts(
      () => usableAccount(RED, config.account).plexTv,
      () => usableAccount(RED, config.account).account.deviceKey(),
    );
    const poller = new PinPoller({
      check: (id, signal) => (withKey.has(id) ? deviceJwts.check(id, signal) : usableAccount(RED, config.account).plexTv.checkPin(id, signal)),
      onOutcome: deliver,
      onWarning: (text) => node.warn(text),
      onChange: changed,
    });

    function deliver(outcome: PollOutcome): void {
      const list = waiters.get(outcome.id) ?? [];
      waiters.delete(outcome.id);
      withKey.delete(outcome.id);
      deviceJwts.forget(outcome.id);
      if (outcome.kind === 'approved') {
        const account = RED.nodes.getNode(config.account) as PlexAccountNode | undefined;
        account?.pinsWithKey.delete(outcome.id);
        const pin: KeyPinState = outcome.pin;
        const authToken = pin.authToken as string;
        const stored = config.store === true && account !== undefined;
        if (stored) account.storeToken(authToken);
        const payload = { id: outcome.id, authToken, clientIdentifier: account?.identity.clientIdentifier, stored };
        if (pin.tokenExpiresAt) Object.assign(payload, { tokenExpiresAt: pin.tokenExpiresAt });
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
        ...(withKey.has(id) ? { withKey: true } : {}),
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
          ? statusText(RED, faulty ? 'retrying' : 'waiting', { time: formatLeft(left) })
          : statusText(RED, 'waiting-many', { count, time: formatLeft(left) });
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
          if (saved.withKey) withKey.add(saved.id);
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
        const madeWithKey = usableAccount(RED, config.account).account.pinsWithKey.has(id);
        // Its first poll runs from a timer: withKey is set in time.
        wait(id, { msg, send, done }, { timeoutAt: timeoutMs ? Date.now() + timeoutMs : undefined, expiresAt: expiryOf(msg.payload) });
        if (madeWithKey) withKey.add(id);
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
