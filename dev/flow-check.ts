/**
 * A flow that runs the PIN flow to a stored token and then calls a server with it, made
 * visible in Node-RED's log; shared by the end-to-end test and the compatibility script.
 */
import type { NodeRed } from './node-red-process';
import type { PlexStandIn } from './plex-stand-in';

type FlowNode = Record<string, unknown>;

const inject = (id: string, wire: string, y: number): FlowNode => ({
  id,
  type: 'inject',
  z: 'tab',
  props: [{ p: 'payload' }],
  payload: '',
  payloadType: 'date',
  x: 100,
  y,
  wires: [[wire]],
});
/** Prints `text` (a JSONata expression over msg) to Node-RED's log, where a script can read it. */
const report = (id: string, text: string, y: number): FlowNode[] => [
  { id, type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: text, tot: 'jsonata' }], x: 500, y, wires: [[`${id}-log`]] },
  { id: `${id}-log`, type: 'debug', z: 'tab', active: true, tosidebar: false, console: true, complete: 'payload', targetType: 'msg', x: 700, y, wires: [] },
];

export function checkFlows(standInUrl: string): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'check' },
    { id: 'acct', type: 'plex-account', name: 'check', clientIdentifier: 'check-client', product: 'Node-RED', deviceName: 'check', plexTvUrl: standInUrl },
    { id: 'srv', type: 'plex-server', name: 'stand-in', url: standInUrl, account: 'acct', tls: '' },
    inject('go', 'pin', 100),
    { id: 'pin', type: 'plex-pin', z: 'tab', account: 'acct', strong: true, forwardUrl: '', x: 300, y: 100, wires: [['poll', 'pin-report']] },
    ...report('pin-report', '"PIN " & payload.id & " " & payload.code', 60),
    { id: 'poll', type: 'plex-poll-token', z: 'tab', account: 'acct', interval: 1, timeout: 0, store: true, x: 300, y: 160, wires: [['approved'], ['ended']] },
    ...report('approved', '"APPROVED " & payload.id & " stored=" & payload.stored', 160),
    ...report('ended', '"ENDED " & payload.reason', 200),
    inject('transient', 'tt', 260),
    { id: 'tt', type: 'plex-transient-token', z: 'tab', server: 'srv', x: 300, y: 260, wires: [['tt-report']] },
    ...report('tt-report', '"TRANSIENT " & payload.token', 260),
    { id: 'catch', type: 'catch', z: 'tab', scope: null, uncaught: false, x: 100, y: 320, wires: [['caught']] },
    ...report('caught', '"CAUGHT " & error.message', 320),
  ];
}

/** Waits until Node-RED's log (from `from` on) matches. */
export function waitForLog(nodeRed: NodeRed, pattern: RegExp, ms = 20_000, from = 0): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const look = () => {
      const match = nodeRed.output().slice(from).match(pattern);
      if (match) return resolve(match);
      if (Date.now() > until) return reject(new Error(`no ${pattern} in the log:\n${nodeRed.output().slice(-3000)}`));
      setTimeout(look, 100);
    };
    look();
  });
}

/** Presses the PIN button of checkFlows() and waits for the stored token; returns it. */
export async function runPinFlow(nodeRed: NodeRed, standIn: PlexStandIn): Promise<string> {
  const from = nodeRed.output().length;
  await nodeRed.inject('go');
  const [, id] = await waitForLog(nodeRed, /PIN (\d+) \S{25}/, 20_000, from);
  await waitForLog(nodeRed, new RegExp(`APPROVED ${id} stored=true`), 20_000, from);
  return standIn.pins.get(Number(id))!.authToken!;
}

/** Presses the transient-token button and returns the token the server got the call with. */
export async function runTransientToken(nodeRed: NodeRed, standIn: PlexStandIn): Promise<string | undefined> {
  const from = nodeRed.output().length;
  const seen = standIn.requests.length;
  await nodeRed.inject('transient');
  await waitForLog(nodeRed, /TRANSIENT transient-\w+/, 20_000, from);
  const call = standIn.requests
    .slice(seen)
    .filter((r) => r.path.startsWith('/security/token'))
    .pop();
  return call?.headers['x-plex-token'] as string | undefined;
}
