/**
 * Bodies a hostile peer can send to make a backtracking reader scan the text once per "<",
 * or to make a client check, copy or import a list of tens of thousands of entries, and how
 * long the event loop stalls while one is read. Shared by the core tests and `npm run bench`.
 */
import { generateKeyPairSync } from 'node:crypto';
import type http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HttpClient, MediaServerClient, PlexTvClient } from '../../src/core';
import { MAX_DEVICES } from '../../src/core/schemas';
import { serve, answer } from './loopback';

/** Each about 900 KB, under the default 1 MiB body limit, so that all of it is read. */
const BODY_BYTES = 900_000;
const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>';

function filled(head: string, unit: string, tail = ''): string {
  return head + unit.repeat(Math.floor((BODY_BYTES - head.length - tail.length) / unit.length)) + tail;
}

export const HOSTILE_BODIES: ReadonlyArray<{ name: string; body: string }> = [
  { name: '"<title" never closed by ">"', body: filled('<html>', '<title') },
  { name: '"<h1>" never closed', body: filled('<html>', '<h1>') },
  // Each "<title" reaches the one ">" before a legit title far behind the junk.
  { name: 'a title after 900 KB of junk', body: filled('<html>', '<title', '><br><title>Real title</title>') },
  { name: '"<!--" never closed', body: filled(PROLOG, '<!--') },
  { name: '"<?" never closed', body: filled(PROLOG, '<?') },
  { name: '"<!DOCTYPE" never closed', body: filled(PROLOG, '<!DOCTYPE') },
  { name: 'attribute values never closed (<a x=")', body: filled(PROLOG, '<a x="') },
  { name: 'quoted values that nest', body: filled(`${PROLOG}<a x='`, '<a y="') },
  { name: '180,000 attributes in one tag', body: filled(`${PROLOG}<MediaContainer`, ' a=""', '/>') },
];

/** The longest the event loop stood still while `run` ran, in milliseconds. */
export async function longestStallMs(run: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  try {
    await run();
    // The monitor's timer records a stall only when it next fires, after the loop is free again.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    histogram.disable();
  }
  return histogram.max / 1e6;
}

/** Serves `body` once from a loopback server and reads it with `client`: the stall, and the error it ended with. */
export async function stallReading(client: HttpClient, body: string, status: number, contentType: string): Promise<{ stallMs: number; error: unknown }> {
  const peer = await serve(answer(status, body, contentType));
  let error: unknown;
  try {
    const request = { method: 'GET', url: new URL(`${peer.url}/hostile`), headers: {}, peer: 'Hostile peer' } as const;
    const stallMs = await longestStallMs(() => client.request(request).catch((caught: unknown) => void (error = caught)));
    return { stallMs, error };
  } finally {
    await peer.close();
  }
}

/** As an error (401, text/html) and as a success (200, application/xml). */
export const HOSTILE_ANSWERS = [
  [401, 'text/html'],
  [200, 'application/xml'],
] as const;

/** The stall for every hostile body and answer, for the benchmark. */
export async function measureHostileBodies(): Promise<Array<{ name: string; status: number; stallMs: number }>> {
  const client = new HttpClient({ timeoutMs: 600_000 });
  const figures = [];
  try {
    for (const { name, body } of HOSTILE_BODIES) {
      for (const [status, contentType] of HOSTILE_ANSWERS) {
        figures.push({ name, status, stallMs: (await stallReading(client, body, status, contentType)).stallMs });
      }
    }
  } finally {
    client.close();
  }
  return figures;
}

/** `count` times `unit` joined into a JSON array, between `head` and `tail`; count fills about 1 MB when left out. */
function jsonList(unit: string, { head = '[', tail = ']', count = Math.floor((1_000_000 - head.length - tail.length) / (unit.length + 1)) } = {}) {
  return { count: count.toLocaleString('en-US'), body: head + Array<string>(count).fill(unit).join(',') + tail };
}

const identity = { clientIdentifier: 'hostile-lists', product: 'Node-RED', deviceName: 'Test' };
/** What the relied schema of /api/v2/resources needs of a device; nothing the documented one asks for is right. */
const strayingDevice = (name: string) =>
  JSON.stringify({
    name,
    clientIdentifier: 'c',
    provides: 'server',
    owned: true,
    connections: [],
    createdAt: 'yesterday',
    lastSeenAt: 0,
    home: 'no',
    platform: 7,
  });
const plexKey = JSON.stringify(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }));

type ListCall = (client: HttpClient, url: string) => Promise<unknown>;
const servers: ListCall = (client, url) => new PlexTvClient(identity, client, url).servers('account-token');
const keys: ListCall = (client, url) => new PlexTvClient(identity, client, url).getAuthKeys();
const sourceInfo: ListCall = (client, url) => new MediaServerClient(url, identity, client).sourceInfo('server-token', 'server://hostile', false);

const emptyDevices = jsonList('{}');
const strayingDevices = jsonList(strayingDevice('n'.repeat(30)));
// Within the cap on devices: the answer is used, and its warning names the first drift only.
const strayingDevicesWithinCap = jsonList(strayingDevice('n'.repeat(350)), { count: MAX_DEVICES });
const manyKeys = jsonList(plexKey, { head: '{"keys":[', tail: ']}' });
const commas = ','.repeat(1_000_000);
const manyConnections = jsonList('{"uri":"http://10.0.0.1:32400"}', {
  head: '{"MediaContainer":{"size":1,"Device":{"name":"n","Connection":[',
  tail: ']}}}',
  count: 20_000,
});

/**
 * Answers of about 1 MB (200, JSON) full of list entries, each with the call that reads it, a
 * small valid answer to that call, and how the call ends: refused (error) or used (warning).
 */
export const HOSTILE_LISTS: ReadonlyArray<{ name: string; body: string; valid: string; call: ListCall; ends: { error: RegExp } | { warning: RegExp } }> = [
  {
    name: `resources: ${emptyDevices.count} empty devices`,
    body: emptyDevices.body,
    valid: '[]',
    call: servers,
    ends: { error: /answered with JSON of more than 50000 objects and arrays; refused$/ },
  },
  {
    name: `resources: ${strayingDevices.count} devices that stray in every documented field`,
    body: strayingDevices.body,
    valid: '[]',
    call: servers,
    ends: { error: /^plex\.tv resources: field \(body\) must NOT have more than 2000 items$/ },
  },
  {
    name: `resources: ${strayingDevicesWithinCap.count} devices of 500 bytes that stray in every documented field`,
    body: strayingDevicesWithinCap.body,
    valid: '[]',
    call: servers,
    ends: { warning: /^plex\.tv resources strays from the documented schema: \[0\]\.product is missing$/ },
  },
  {
    name: 'resources: a device that provides a million commas',
    body: JSON.stringify([{ name: 'n', clientIdentifier: 'c', provides: commas, owned: true, connections: [] }]),
    valid: '[]',
    call: servers,
    ends: { warning: /^plex\.tv resources strays from the documented schema: \[0\]\.product is missing$/ },
  },
  {
    name: `auth keys: ${manyKeys.count} Ed25519 keys`,
    body: manyKeys.body,
    valid: '{"keys":[]}',
    call: keys,
    ends: { error: /^plex\.tv keys: field keys must NOT have more than 8 items$/ },
  },
  {
    name: `source information: ${manyConnections.count} connections`,
    body: manyConnections.body,
    call: sourceInfo,
    valid: '{"MediaContainer":{"size":1,"Device":{"name":"n","Connection":[]}}}',
    ends: { warning: /^Plex Media Server source information lists 20000 connections; only the first 64 are passed on$/ },
  },
];

/**
 * Serves a valid answer, then `body`, and makes the same call for each with `client`: the stall
 * while the second is read and checked (the first compiled the call's schemas, a cost paid once
 * per process whatever the answer), and how that call ended.
 */
export async function stallReadingList(
  client: HttpClient,
  list: (typeof HOSTILE_LISTS)[number],
): Promise<{ stallMs: number; value?: unknown; error?: unknown }> {
  let answered = 0;
  const peer = await serve((req: http.IncomingMessage, res: http.ServerResponse) => answer(200, answered++ ? list.body : list.valid)(req, res));
  try {
    await list.call(client, peer.url);
    let outcome: { value?: unknown; error?: unknown } = {};
    const stallMs = await longestStallMs(() =>
      list.call(client, peer.url).then(
        (value) => void (outcome = { value }),
        (error: unknown) => void (outcome = { error }),
      ),
    );
    return { stallMs, ...outcome };
  } finally {
    await peer.close();
  }
}

/** The stall for every hostile list, for the benchmark. */
export async function measureHostileLists(): Promise<Array<{ name: string; stallMs: number }>> {
  const client = new HttpClient({ timeoutMs: 600_000 });
  const figures = [];
  try {
    for (const list of HOSTILE_LISTS) figures.push({ name: list.name, stallMs: (await stallReadingList(client, list)).stallMs });
  } finally {
    client.close();
  }
  return figures;
}
