/**
 * `npm run soak [-- --pins 500 --polls 20 --fault-rate 0.05]`: many PINs polled at once by one
 * plex-poll-token node, in a real Node-RED runtime, against the stand-in answering a share of
 * requests with passing faults (503, 429 with Retry-After, reset). Reports requests made,
 * faults, outcomes per msg (each msg must get exactly one) and memory over time.
 */
import helper from 'node-red-node-test-helper';
import { PlexStandIn } from '../dev/plex-stand-in';
import { allNodes } from '../test/support';

helper.init(require.resolve('node-red'));

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

const pins = flag('pins', 500);
const pollsEach = flag('polls', 20);
const faultRate = flag('fault-rate', 0.05);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const standIn = new PlexStandIn({ faultRate });
  await standIn.start();
  await new Promise<void>((resolve) => helper.startServer(resolve));
  const flow: any[] = [
    { id: 'tab', type: 'tab' },
    { id: 'acct', type: 'plex-account', clientIdentifier: 'soak', product: 'soak', deviceName: 'soak', plexTvUrl: standIn.url },
    { id: 'poll', type: 'plex-poll-token', z: 'tab', account: 'acct', interval: 1, timeout: 0, store: false, x: 1, y: 1, wires: [['approved'], ['ended']] },
    { id: 'approved', type: 'helper', z: 'tab', x: 1, y: 1 },
    { id: 'ended', type: 'helper', z: 'tab', x: 1, y: 1 },
    { id: 'catch', type: 'catch', z: 'tab', scope: null, x: 1, y: 1, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab', x: 1, y: 1 },
  ];
  await helper.load([...allNodes, require('@node-red/nodes/core/common/25-catch.js')], flow);

  const outcomes = new Map<number, string[]>();
  const note = (id: number, what: string) => outcomes.set(id, [...(outcomes.get(id) ?? []), what]);
  helper.getNode('approved').on('input', (msg: any) => note(msg.payload.id, 'approved'));
  helper.getNode('ended').on('input', (msg: any) => note(msg.payload.id, msg.payload.reason));
  helper.getNode('caught').on('input', (msg: any) => note(msg.pin, `error: ${msg.error.message}`));

  const started = Date.now();
  const memory: string[] = [];
  const sampler = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    memory.push(`${Math.round((Date.now() - started) / 1000)}s rss ${mb(rss)} MB heap ${mb(heapUsed)} MB`);
  }, 2000);

  standIn.clearFaults();
  const ids: number[] = [];
  for (let n = 0; n < pins; n++) {
    // Made directly: the soak is about polling, and a faulty PIN creation is not its subject.
    const pin = await fetch(`${standIn.url}/api/v2/pins`, { method: 'POST', headers: { 'X-Plex-Client-Identifier': 'soak', Accept: 'application/json' } })
      .then((response) => (response.ok ? (response.json() as Promise<{ id: number }>) : undefined))
      .catch(() => undefined);
    if (!pin) {
      n--;
      continue;
    }
    standIn.pins.get(pin.id)!.approveAfterPolls = pollsEach;
    ids.push(pin.id);
    helper.getNode('poll').receive({ payload: pin.id, pin: pin.id });
  }
  const deadline = Date.now() + Math.max(120_000, pollsEach * 4_000);
  while (outcomes.size < ids.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  clearInterval(sampler);

  const polls = standIn.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/api/v2/pins/')).length;
  const answered = [...standIn.pins.values()].reduce((sum, pin) => sum + pin.polls, 0);
  const kinds = new Map<string, number>();
  for (const list of outcomes.values()) for (const what of list) kinds.set(what.split(':')[0], (kinds.get(what.split(':')[0]) ?? 0) + 1);
  const once = ids.filter((id) => outcomes.get(id)?.length === 1).length;
  console.log(`soak: ${pins} PINs, approved after ${pollsEach} answered polls each, ${(faultRate * 100).toFixed(1)} % faults`);
  console.log(`  took ${((Date.now() - started) / 1000).toFixed(1)} s; poll requests ${polls}, answered ${answered}, faults ${polls - answered}`);
  console.log(`  outcomes: ${[...kinds].map(([kind, count]) => `${kind} ${count}`).join(', ')}; msgs with exactly one outcome: ${once}/${ids.length}`);
  console.log(`  memory: ${memory.join(' | ')}`);
  await helper.unload();
  await new Promise<void>((resolve) => helper.stopServer(resolve));
  await standIn.stop();
  process.exit(once === ids.length ? 0 : 1);
}

void main();
