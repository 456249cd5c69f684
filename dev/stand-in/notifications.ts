/**
 * The stand-in playing a Plex Media Server's live side: what plays now (sessions of users on
 * players) and the notification WebSocket at /:/websockets/notifications that tells of each
 * change, as plex-facts.md describes it. Tests and the demo's player panel drive it.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export interface StandInUserPlan {
  id: number;
  title: string;
}

export interface StandInPlayer {
  title: string;
  product: string;
  platform: string;
  machineIdentifier: string;
  address: string;
  local: boolean;
}

export interface StandInItem {
  ratingKey: string;
  type: string;
  title: string;
  grandparentTitle?: string;
  parentTitle?: string;
  librarySectionID: string;
  librarySectionTitle: string;
  /** ms */
  duration: number;
}

export type StandInPlaybackState = 'playing' | 'paused' | 'buffering' | 'stopped';

export interface StandInSession {
  sessionKey: string;
  item: StandInItem;
  user: StandInUserPlan;
  player: StandInPlayer;
  state: StandInPlaybackState;
  viewOffset: number;
}

export const USERS = {
  owner: { id: 1, title: 'Alex' },
  kids: { id: 2, title: 'Kids' },
} satisfies Record<string, StandInUserPlan>;

export const PLAYERS = {
  livingRoom: {
    title: 'Living Room TV',
    product: 'Plex for LG',
    platform: 'webOS',
    machineIdentifier: 'player-living-room-tv',
    address: '192.168.1.31',
    local: true,
  },
  kidsTablet: {
    title: "Kids' Tablet",
    product: 'Plex for iOS',
    platform: 'iPadOS',
    machineIdentifier: 'player-kids-tablet',
    address: '192.168.1.44',
    local: true,
  },
  phone: {
    title: "Alex's Phone",
    product: 'Plex for Android',
    platform: 'Android',
    machineIdentifier: 'player-alex-phone',
    address: '198.51.100.23',
    local: false,
  },
} satisfies Record<string, StandInPlayer>;

export const LIBRARIES = [
  { key: '1', title: 'Movies', type: 'movie' },
  { key: '2', title: 'TV Shows', type: 'show' },
  { key: '3', title: 'Music', type: 'artist' },
];

export const ITEMS = {
  movie: { ratingKey: '1001', type: 'movie', title: 'Big Buck Bunny', librarySectionID: '1', librarySectionTitle: 'Movies', duration: 596_000 },
  episode: {
    ratingKey: '2002',
    type: 'episode',
    title: 'The Forest',
    grandparentTitle: 'Nature Walks',
    parentTitle: 'Season 1',
    librarySectionID: '2',
    librarySectionTitle: 'TV Shows',
    duration: 1_320_000,
  },
  track: {
    ratingKey: '3003',
    type: 'track',
    title: 'Clair de Lune',
    grandparentTitle: 'Debussy',
    parentTitle: 'Suite bergamasque',
    librarySectionID: '3',
    librarySectionTitle: 'Music',
    duration: 300_000,
  },
} satisfies Record<string, StandInItem>;

/** How often a playing session's state comes again when nothing changes: Plex repeats it about every 10 s. */
export const REPEAT_MS = 10_000;

/** The server's sessions and the sockets that hear of them. */
export class StandInPlayback {
  readonly sessions = new Map<string, StandInSession>();
  private readonly server = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly open = new Set<WebSocket>();
  private nextSessionKey = 1;

  constructor(private readonly admitted: (token: string | undefined) => boolean) {}

  /** Notification sockets open now. */
  get sockets(): number {
    return this.open.size;
  }

  /** An upgrade request to the notification path, its token checked as every other route of the server checks it. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.admitted(req.headers['x-plex-token'] as string | undefined)) {
      socket.end(
        'HTTP/1.1 401 Unauthorized\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>',
      );
      return;
    }
    this.server.handleUpgrade(req, socket, head, (ws) => {
      this.open.add(ws);
      ws.on('close', () => this.open.delete(ws));
      ws.on('error', () => undefined);
    });
  }

  /** Sends a NotificationContainer, as the server does, to every socket. */
  notify(container: Record<string, unknown>): void {
    const text = JSON.stringify({ NotificationContainer: container });
    for (const ws of this.open) ws.send(text);
  }

  /** A session starts: `user` plays `item` on `player`. */
  play(options: { item?: StandInItem; user?: StandInUserPlan; player?: StandInPlayer } = {}): StandInSession {
    const session: StandInSession = {
      sessionKey: String(this.nextSessionKey++),
      item: options.item ?? ITEMS.movie,
      user: options.user ?? USERS.owner,
      player: options.player ?? PLAYERS.livingRoom,
      state: 'playing',
      viewOffset: 0,
    };
    this.sessions.set(session.sessionKey, session);
    this.tell(session);
    return session;
  }

  pause(sessionKey: string): void {
    this.change(sessionKey, 'paused');
  }

  resume(sessionKey: string): void {
    this.change(sessionKey, 'playing');
  }

  buffer(sessionKey: string): void {
    this.change(sessionKey, 'buffering');
  }

  /** The session ends: told as "stopped", and gone from /status/sessions. */
  stop(sessionKey: string): void {
    this.change(sessionKey, 'stopped');
    this.sessions.delete(sessionKey);
  }

  /** Time passes in a session: a playing one moves on by `ms`, and its state comes again unchanged, as the server repeats it. */
  tick(sessionKey: string, ms = REPEAT_MS): void {
    const session = this.session(sessionKey);
    if (session.state === 'playing') session.viewOffset = Math.min(session.item.duration, session.viewOffset + ms);
    this.tell(session);
  }

  /** A library scan, as the server tells of one: an activity, then a new item in the timeline. */
  scan(): void {
    const uuid = `scan-${Date.now().toString(36)}`;
    this.notify({
      type: 'activity',
      size: 1,
      ActivityNotification: [{ event: 'started', uuid, Activity: { uuid, type: 'library.update.section', title: 'Scanning Movies', progress: 0 } }],
    });
    this.notify({
      type: 'timeline',
      size: 1,
      TimelineEntry: [
        { identifier: 'com.plexapp.plugins.library', sectionID: '1', itemID: '1004', type: 1, title: 'Sintel', state: 5, metadataState: 'created' },
      ],
    });
  }

  /** Ends every notification socket at once, as a network drop does. */
  dropSockets(): void {
    for (const ws of this.open) ws.terminate();
  }

  /** Stops reading every socket: the connection looks alive but nothing answers, not even a ping. */
  freezeSockets(): void {
    for (const ws of this.open) (ws as unknown as { _socket: Duplex })._socket.pause();
  }

  /** /status/sessions: every session not stopped, as Metadata entries. */
  listed(): Array<Record<string, unknown>> {
    return [...this.sessions.values()].map((session) => ({
      sessionKey: session.sessionKey,
      key: `/library/metadata/${session.item.ratingKey}`,
      ...session.item,
      viewOffset: session.viewOffset,
      User: { id: String(session.user.id), title: session.user.title, thumb: `https://plex.tv/users/${session.user.id}/avatar` },
      Player: { ...session.player, state: session.state },
      Session: { id: `session-${session.sessionKey}`, bandwidth: 20_000, location: session.player.local ? 'lan' : 'wan' },
    }));
  }

  /** /devices: every player the stand-in knows. */
  devices(): Array<Record<string, unknown>> {
    return Object.values(PLAYERS).map((player, index) => ({
      id: index + 1,
      name: player.title,
      platform: player.platform,
      clientIdentifier: player.machineIdentifier,
      createdAt: 1_700_000_000 + index,
    }));
  }

  private session(sessionKey: string): StandInSession {
    const session = this.sessions.get(sessionKey);
    if (!session) throw new Error(`no session ${sessionKey}`);
    return session;
  }

  private change(sessionKey: string, state: StandInPlaybackState): void {
    const session = this.session(sessionKey);
    session.state = state;
    this.tell(session);
  }

  /** The "playing" notification of one session's state now. */
  private tell(session: StandInSession): void {
    this.notify({
      type: 'playing',
      size: 1,
      PlaySessionStateNotification: [
        {
          sessionKey: session.sessionKey,
          clientIdentifier: session.player.machineIdentifier,
          guid: '',
          ratingKey: session.item.ratingKey,
          url: '',
          key: `/library/metadata/${session.item.ratingKey}`,
          viewOffset: session.viewOffset,
          playQueueItemID: 40_000 + Number(session.sessionKey),
          state: session.state,
        },
      ],
    });
  }
}

/** The one path of the server that upgrades to a WebSocket. */
export const NOTIFICATIONS_PATH_PATTERN = /^\/:\/websockets\/notifications$/;
