import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, NodeStatus } from 'node-red';
import { NotificationListener, PlaybackTracker, PlexError, parseFilter, type ListenerState } from '../src/core';
import { FlowNode } from './lib/flow-node';
import { errorStatus, statusText } from './lib/status';
import { eventServer, watchEventToken } from './lib/event-server';
import { registerEventRoutes } from './admin/event-routes';
import { t } from './lib/i18n';

interface PlexEventsConfig extends NodeDef {
  server: string;
  /** "playback" (default) or "all". */
  events?: string;
  users?: string;
  players?: string;
  libraries?: string;
  types?: string;
  /** Seconds between progress msgs of a playing session; 0: none. */
  progress?: number | string;
}

/** "14:02": when the connection went down, as the status shows it. */
function clockTime(epochMs: number): string {
  return new Date(epochMs).toTimeString().slice(0, 5);
}

export = function (RED: NodeAPI): void {
  /** Why the node is not connected, under it: a fault that passes shows since when; one a person must fix shows what. */
  function waitingStatus(error: PlexError, since: number): NodeStatus {
    // As every node of the package shows a token that is missing.
    if (error.code === 'PLEX_NOT_SIGNED_IN') return { fill: 'yellow', shape: 'ring', text: errorStatus(RED, error) };
    if (error.code === 'PLEX_TLS' || (!error.transient && error.kind !== 'response')) return { fill: 'red', shape: 'ring', text: errorStatus(RED, error) };
    return { fill: 'yellow', shape: 'ring', text: statusText(RED, 'events-down', { time: clockTime(since) }) };
  }

  function PlexEvents(this: Node, config: PlexEventsConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const all = config.events === 'all';
    const progressSeconds = Number(config.progress);
    const flow = new FlowNode(RED, node);
    const statusLine = flow.status;
    const server = () => eventServer(RED, config.server);
    watchEventToken(RED, flow, config.server, () => listener.retryNow());
    /** The code of the last fault warned about: one warning per outage and kind of fault, not one per try. */
    let warned: string | undefined;
    /** While down, each try leaves the status alone: it keeps saying since when, or why. */
    let down = false;

    const tracker = new PlaybackTracker({
      server: { sessions: (signal) => server().sessions(signal), about: (signal) => server().about(signal) },
      send: ({ topic, payload }) => node.send({ topic, payload }),
      warn: (text) => node.warn(text),
      filters: {
        users: parseFilter(config.users),
        players: parseFilter(config.players),
        libraries: parseFilter(config.libraries),
        types: parseFilter(config.types),
      },
      progressMs: Number.isFinite(progressSeconds) && progressSeconds > 0 ? progressSeconds * 1000 : 0,
    });

    const showState = (state: ListenerState) => {
      if (state.state === 'connecting') {
        if (!down) statusLine.show({ fill: 'blue', shape: 'ring', text: statusText(RED, 'events-connecting') });
        return;
      }
      down = state.state === 'waiting';
      if (state.state === 'disconnected') return statusLine.show({ fill: 'grey', shape: 'ring', text: statusText(RED, 'events-disconnected') });
      if (state.state === 'connected') {
        warned = undefined;
        return statusLine.show({ fill: 'green', shape: 'dot', text: statusText(RED, 'events-connected') });
      }
      const { error, since, retryInMs } = state;
      statusLine.show(waitingStatus(error, since));
      if (warned === error.code) return;
      warned = error.code;
      node.warn(t(RED, 'warn.events-down', { message: error.message, code: error.code, seconds: Math.round(retryInMs / 1000) }));
    };

    const listener = new NotificationListener({
      server,
      onNotification: (notification) => {
        if (all) node.send({ topic: notification.type, payload: notification });
        if (notification.PlaySessionStateNotification) tracker.handle(notification.PlaySessionStateNotification);
      },
      onOpen: (signal) => tracker.connected(signal),
      onState: showState,
      onWarning: (text) => node.warn(text),
    });
    listener.start();

    node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: (error?: Error) => void) => {
      if (msg.payload === 'reconnect') listener.reconnect();
      else if (msg.payload === 'disconnect') listener.disconnect();
      else return done(new PlexError(t(RED, 'error.events-command'), { kind: 'input' }));
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      listener.close();
      tracker.close();
      done();
    });
  }

  RED.nodes.registerType('plex-events', PlexEvents as never);
  registerEventRoutes(RED);
};
