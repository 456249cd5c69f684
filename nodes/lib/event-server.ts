/**
 * The one place where plex-events meets its plex-server: the address in use (it follows a
 * moved server), the identity headers, the TLS settings and the token (through the server's
 * withToken), and where refusals and acceptances of that token are reported.
 */
import type { Node, NodeAPI } from 'node-red';
import { identityHeaders, type Checked, type NamedChoice, type NotificationServer, type PlaybackServer } from '../../src/core';
import { usableServer } from './config-nodes';
import { useTokenOf, watchTokenUse } from './token-health';

export interface EventServer extends NotificationServer, PlaybackServer {
  /** What the dialog offers as filters: the server's users, players and libraries. */
  choices(signal?: AbortSignal): Promise<{ users: NamedChoice[]; players: NamedChoice[]; libraries: NamedChoice[] }>;
}

/** The server a plex-events node is set to, as it stands now; else an error that says what to fix (no server, no token). */
export function eventServer(RED: NodeAPI, serverId: string | undefined): EventServer {
  const { server, client, withToken } = usableServer(RED, serverId);
  const sessions = (signal?: AbortSignal) => withToken((token) => client.sessions(token, signal));
  const valueOf = <T>(call: (token: string) => Promise<Checked<T>>) => withToken(call).then((checked) => checked.value);
  return {
    address: () => client.address,
    headers: identityHeaders(server.account!.identity), // a server with a client has an account
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
 * Registers the node as a user of its server's token (a refusal shows "sign in again" on every
 * node of the account); `onUsable` is called when the token may work again. Returns what
 * reports the outcome of each use of the token.
 */
export function eventTokenUse(RED: NodeAPI, node: Node, serverId: string, onUsable: () => void): (outcome: Promise<unknown>) => void {
  useTokenOf(RED, node, { server: serverId }, { onUsable });
  return (outcome) => watchTokenUse(node, outcome);
}
