/** A notification listener (and, when asked, a playback tracker) against the stand-in, on a clock the test moves. */
import {
  HttpClient,
  MediaServerClient,
  NotificationListener,
  PlaybackTracker,
  identityHeaders,
  type ListenerState,
  type NotificationContainer,
  type NotificationListenerOptions,
  type NotificationServer,
  type PlaybackMessage,
  type PlaybackTrackerOptions,
} from '../../src/core';
import { ManualClock } from './manual-clock';

export const identity = { clientIdentifier: 'events-client', product: 'Node-RED', deviceName: 'Events test' };

export interface Rig {
  listener: NotificationListener;
  tracker?: PlaybackTracker;
  clock: ManualClock;
  states: ListenerState[];
  notifications: NotificationContainer[];
  messages: PlaybackMessage[];
  warnings: string[];
  /** Points the server at another address, as a server found elsewhere is. */
  moveTo(address: string): void;
  /** Resolves when `check` holds: after socket I/O, never after time on the clock. */
  until(check: () => boolean, what: string, ms?: number): Promise<void>;
  close(): void;
}

export interface RigOptions {
  address: string;
  token: string;
  /** Runs when the listener looks for the server (nothing answered at its address). */
  locate?: (rig: Rig) => Promise<void>;
  listener?: Partial<NotificationListenerOptions>;
  /** With a tracker fed by the listener, asking the stand-in through a real MediaServerClient. */
  tracker?: Partial<PlaybackTrackerOptions>;
}

export function startRig(options: RigOptions): Rig {
  const clock = new ManualClock();
  const http = new HttpClient();
  let address = options.address;
  const client = () => new MediaServerClient(address, identity, http);
  const rig = {
    clock,
    states: [] as ListenerState[],
    notifications: [] as NotificationContainer[],
    messages: [] as PlaybackMessage[],
    warnings: [] as string[],
    moveTo: (next: string) => {
      address = next;
    },
    until: async (check: () => boolean, what: string, ms = 5000) => {
      const end = Date.now() + ms;
      while (!check()) {
        if (Date.now() > end)
          throw new Error(`no ${what} within ${ms} ms; states ${JSON.stringify(rig.states.map((s) => s.state))}, warnings ${JSON.stringify(rig.warnings)}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  } as Rig;
  const server: NotificationServer = {
    address: () => address,
    headers: identityHeaders(identity),
    withToken: (call) => call(options.token),
    locate: () => (options.locate ? options.locate(rig) : Promise.reject(new Error('not found'))),
  };
  if (options.tracker) {
    rig.tracker = new PlaybackTracker({
      server: { sessions: (signal) => client().sessions(options.token, signal), about: (signal) => client().about(options.token, signal) },
      send: (message) => rig.messages.push(message),
      warn: (text) => rig.warnings.push(text),
      now: () => clock.now(),
      ...options.tracker,
    });
  }
  const tracker = rig.tracker;
  rig.listener = new NotificationListener({
    server: () => server,
    onNotification: (notification) => {
      rig.notifications.push(notification);
      if (notification.PlaySessionStateNotification) tracker?.handle(notification.PlaySessionStateNotification);
    },
    onOpen: tracker ? (signal) => tracker.connected(signal) : undefined,
    onState: (state) => rig.states.push(state),
    onWarning: (text) => rig.warnings.push(text),
    clock,
    random: () => 1,
    ...options.listener,
  });
  rig.close = () => {
    rig.listener.close();
    tracker?.close();
    http.close();
  };
  rig.listener.start();
  return rig;
}

/** The last state the listener reported. */
export function lastState(rig: Rig): ListenerState | undefined {
  return rig.states.at(-1);
}
