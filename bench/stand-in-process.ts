/**
 * The loopback stand-in in a process of its own, so that serving requests neither shares
 * the event loop nor the heap of the process being measured. Driven over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { PlexStandIn } from '../dev/plex-stand-in';

export const SOURCE = 'server://0123456789abcdef0123456789abcdef01234567';

interface Ready {
  url: string;
  token: string;
}

type Request =
  | { type: 'pin-polls'; since: number }
  | { type: 'make-pins'; clientIdentifier: string; count: number }
  | { type: 'play'; count: number }
  | { type: 'stop-all' }
  | { type: 'flip'; keys: string[]; count: number; perSecond: number; firstSeq: number };

export interface StandInProcess extends Ready {
  /** [pin id, epoch ms] of every GET /api/v2/pins/{id} the stand-in answered since `since`. */
  pinPolls(since: number): Promise<Array<[number, number]>>;
  /** Strong PINs made for a client identifier (through the stand-in's own HTTP API). */
  makePins(clientIdentifier: string, count: number): Promise<number[]>;
  /** Starts `count` sessions on the server; their keys. */
  play(count: number): Promise<string[]>;
  /** Stops every session. */
  stopAll(): Promise<void>;
  /**
   * Sends `count` notifications, each a change of state of one of the sessions in turn, at
   * `perSecond` (0: as fast as the socket takes them); the i-th carries viewOffset firstSeq + i.
   * Answers when each was sent (epoch ms, sub-millisecond: performance.timeOrigin + now), by i.
   */
  flip(keys: string[], count: number, perSecond: number, firstSeq: number): Promise<number[]>;
  stop(): Promise<void>;
}

export async function startStandInProcess(): Promise<StandInProcess> {
  const child: ChildProcess = fork(__filename, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready));
    child.once('exit', (code) => reject(new Error(`stand-in process exited with ${code}`)));
  });
  let queue = Promise.resolve<unknown>(undefined);
  // One question at a time: answers come back in order.
  const ask = <T>(request: Request): Promise<T> => {
    const answer = queue.then(
      () =>
        new Promise<T>((resolve) => {
          child.once('message', (message) => resolve(message as T));
          child.send(request);
        }),
    );
    queue = answer.catch(() => undefined);
    return answer;
  };
  return {
    ...ready,
    pinPolls: (since) => ask({ type: 'pin-polls', since }),
    makePins: (clientIdentifier, count) => ask({ type: 'make-pins', clientIdentifier, count }),
    play: (count) => ask({ type: 'play', count }),
    stopAll: () => ask({ type: 'stop-all' }),
    flip: (keys, count, perSecond, firstSeq) => ask({ type: 'flip', keys, count, perSecond, firstSeq }),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function runChild(): Promise<void> {
  const standIn = new PlexStandIn();
  const url = await standIn.start();
  const token = standIn.addAccount('bench-user');
  standIn.sources.set(SOURCE, {
    name: 'Bench server',
    clientIdentifier: SOURCE.slice('server://'.length),
    accessToken: token,
    Connection: [
      { protocol: 'http', address: '127.0.0.1', port: 32400, uri: 'http://127.0.0.1:32400', local: true, relay: false },
      { protocol: 'https', address: '203.0.113.7', port: 32400, uri: 'https://203-0-113-7.abc.plex.direct:32400', local: false, relay: false },
    ],
  });
  process.on('message', async (request: Request) => {
    if (request.type === 'play') {
      process.send!(Array.from({ length: request.count }, () => standIn.playback.play().sessionKey));
    } else if (request.type === 'stop-all') {
      for (const key of [...standIn.playback.sessions.keys()]) standIn.playback.stop(key);
      process.send!(null);
    } else if (request.type === 'flip') {
      process.send!(await flip(standIn, request));
    } else if (request.type === 'pin-polls') {
      const polls: Array<[number, number]> = [];
      for (const { method, path, at } of standIn.requests) {
        const match = /^\/api\/v2\/pins\/(\d+)$/.exec(path);
        if (method === 'GET' && match && at >= request.since) polls.push([Number(match[1]), at]);
      }
      process.send!(polls);
    } else {
      const ids: number[] = [];
      for (let i = 0; i < request.count; i++) {
        const response = await fetch(`${url}/api/v2/pins?strong=true`, {
          method: 'POST',
          headers: { Accept: 'application/json', 'X-Plex-Client-Identifier': request.clientIdentifier, 'X-Plex-Product': 'bench' },
        });
        ids.push(((await response.json()) as { id: number }).id);
      }
      process.send!(ids);
    }
  });
  process.on('SIGTERM', () => {
    void standIn.stop().then(() => process.exit(0));
  });
  // A bench that died without stopping it leaves no stand-in behind.
  process.on('disconnect', () => process.exit(0));
  process.send!({ url, token } satisfies Ready);
}

/** Notifications that each change one session's state (playing ↔ paused), paced or as fast as they go; when each was sent. */
async function flip(standIn: PlexStandIn, request: Extract<Request, { type: 'flip' }>): Promise<number[]> {
  const sentAt: number[] = [];
  const started = performance.now();
  const send = (i: number) => {
    const session = standIn.playback.sessions.get(request.keys[i % request.keys.length])!;
    session.state = session.state === 'playing' ? 'paused' : 'playing';
    session.viewOffset = request.firstSeq + i;
    sentAt.push(performance.timeOrigin + performance.now());
    standIn.playback.tick(session.sessionKey, 0); // tells the session's state as it is now
  };
  for (let i = 0; i < request.count;) {
    // Paced: every notification due by now; unpaced: a batch, then the event loop breathes.
    const due = request.perSecond
      ? Math.min(request.count, Math.floor(((performance.now() - started) / 1000) * request.perSecond) + 1)
      : Math.min(request.count, i + 500);
    for (; i < due; i++) send(i);
    await new Promise((resolve) => (request.perSecond ? setTimeout(resolve, 1) : setImmediate(resolve)));
  }
  return sentAt;
}

if (require.main === module && process.argv.includes('--child')) void runChild();
