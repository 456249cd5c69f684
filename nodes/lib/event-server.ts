/**
 * The one place where plex-events meets its plex-server: the address in use (it follows a
 * moved server), the identity headers, the TLS settings and the token (through the server's
 * withToken, which also records whether the token was taken), and the token's state as the
 * node shows it.
 */
import type { NodeAPI } from 'node-red';
import { identityHeaders, type Checked, type NamedChoice, type NotificationServer, type PlaybackServer } from '../../src/core';
import { serverNode, usableServer } from './config-nodes';
import type { FlowNode } from './flow-node';

export interface EventServer extends NotificationServer, PlaybackServer {
  /** What the dialog offers as filters: the server's users, players and libraries. */
  choices(signal?: AbortSignal): Promise<{ users: NamedChoice[]; players: NamedChoice[]; libraries: NamedChoice[] }>;
}

/** The server a plex-events node is set to, as it stands now; else an error that says what to fix. */
export function eventServer(RED: NodeAPI, serverId: string | undefined): EventServer {
  const server = usableServer(RED, serverId);
  const { client } = server;
  const withToken = <T>(call: (token: string) => Promise<T>) => server.withToken(call);
  const sessions = (signal?: AbortSignal) => withToken((token) => client.sessions(token, signal));
  const valueOf = <T>(call: (token: string) => Promise<Checked<T>>) => withToken(call).then((checked) => checked.value);
  return {
    address: () => client.address,
    headers: identityHeaders(server.account.identity),
    tls: server.tls,
    withToken,
    // Any ordinary call finds a server that moved: the client's relocator runs when its address stops answering.
    locate: sessions,
    sessions,
    about: (signal) => withToken((token) => client.about(token, signal)),
    choices: async (signal) => {
      const [users, players, libraries] = await Promise.all([
        valueOf((token) => client.accounts(token, signal)),
        valueOf((token) => client.devices(token, signal)),
        valueOf((token) => client.librarySections(token, signal)),
      ]);
      return { users, players, libraries };
    },
  };
}

/**
 * Shows the state of the server's token under the node ("sign in again", "not signed in"), and
 * calls `onUsable` when it may work again: a sign-in, or a call with it that succeeded.
 */
export function watchEventToken(RED: NodeAPI, flow: FlowNode, serverId: string, onUsable: () => void): void {
  const holder = serverNode(RED, serverId)?.server?.tokens;
  flow.watchToken(holder);
  if (!holder) return;
  const stops = [holder.health.onChange((signInNeeded) => !signInNeeded && onUsable()), holder.onSignedInChange((signedIn) => signedIn && onUsable())];
  flow.node.on('close', (_removed: boolean, done: () => void) => {
    for (const stop of stops) stop();
    done();
  });
}
