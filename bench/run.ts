/**
 * `npm run bench`: every benchmark in one run, against the stand-in in a process of its own;
 * prints the throughput of both set-ups side by side and a table of the other figures with their
 * targets (issues 5, 12 and 19), and writes JSON to bench/results/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStandInProcess } from './stand-in-process';
import { SET_UPS, benchThroughput, formatThroughput, type ThroughputResult } from './throughput';
import { benchValidation } from './validation';
import { benchJwt } from './jwt';
import { benchHostileBodies, benchHostileLists } from './hostile-bodies';
import { benchStartup } from './startup';
import { benchPolling } from './polling';
import { benchConnections } from './connections';
import { benchEvents, type EventsResult } from './events';
import { formatTable, type Row } from './stats';
import { repoRoot } from '../dev/node-red-process';

/** `npm run bench -- throughput polling` runs only those parts; none named: all of them. */
const named = process.argv.slice(2);
const runs = (part: 'validation' | 'jwt' | 'hostile' | 'throughput' | 'polling' | 'events' | 'servers' | 'startup') => !named.length || named.includes(part);

async function main(): Promise<void> {
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const rows: Row[] = [];
  const validation = runs('validation') ? benchValidation() : [];
  for (const { schema, nsPerResponse, runtimeCompiledNs, standaloneNs } of validation) {
    rows.push({
      section: 'validation',
      measure: `${schema}: ns/response (validator alone: runtime-compiled ${runtimeCompiledNs}, standalone ${standaloneNs})`,
      value: String(nsPerResponse),
      target: '< 2000',
      met: nsPerResponse < 2000,
    });
  }

  const jwt = runs('jwt') ? await benchJwt() : undefined;
  if (jwt) {
    rows.push({
      section: 'jwt',
      measure: 'signing a device JWT (Ed25519)',
      value: `${(jwt.signNsPerJwt / 1000).toFixed(0)} µs`,
      target: '< 1 ms',
      met: jwt.signNsPerJwt < 1_000_000,
    });
    rows.push({
      section: 'jwt',
      measure: 'verifying a Plex JWT (plex.tv lists 2 keys, the second signs)',
      value: `${(jwt.verifyNsPerJwt / 1000).toFixed(0)} µs`,
      target: '< 1 ms',
      met: jwt.verifyNsPerJwt < 1_000_000,
    });
  }

  const hostileBodies = runs('hostile') ? await benchHostileBodies() : [];
  for (const { name, status, stallMs } of hostileBodies) {
    rows.push({
      section: 'hostile body',
      measure: `${name}, answered ${status}: event-loop stall`,
      value: `${stallMs} ms`,
      target: '< 50 ms',
      met: stallMs < 50,
    });
  }
  const hostileLists = runs('hostile') ? await benchHostileLists() : [];
  for (const { name, stallMs } of hostileLists) {
    rows.push({
      section: 'hostile list',
      measure: `${name}: event-loop stall while read and checked`,
      value: `${stallMs} ms`,
      target: '< 50 ms',
      met: stallMs < 50,
    });
  }

  const standIn = await startStandInProcess();
  const throughput: ThroughputResult[] = [];
  let polling;
  let events: EventsResult | undefined;
  try {
    for (const setUp of runs('throughput') ? SET_UPS : []) throughput.push(await benchThroughput(standIn, setUp));
    polling = [];
    // 10,000 PINs at 10 s ask for as many requests a second as 1,000 at 2 s do twice over; at 2 s
    // (5,000 requests a second) the stand-in and Node-RED, sharing two cores, are what is measured.
    for (const [count, intervalS, withTargets] of runs('polling')
      ? ([
          [1000, 2, true],
          [10_000, 10, true],
          [10_000, 2, false],
        ] as const)
      : []) {
      const figures = await benchPolling(standIn, count, intervalS);
      polling.push(figures);
      const section = `polling ${count} @${intervalS}s`;
      const target = (text: string, met: boolean) => (withTargets ? { target: text, met } : {});
      rows.push({ section, measure: 'memory per pending PIN', value: `${figures.bytesPerPin} B`, ...target('< 10 KB', figures.bytesPerPin < 10_240) });
      rows.push({ section, measure: 'timers per PIN', value: String(figures.timersPerPin), ...target('≤ 1', figures.timersPerPin <= 1) });
      rows.push({ section, measure: 'requests/s sent', value: `${figures.requestsPerSecond} (${figures.expectedRequestsPerSecond} at the interval)` });
      rows.push({
        section,
        measure: 'interval drift p50/p99/max',
        value: `${figures.driftMs.p50}/${figures.driftMs.p99}/${figures.driftMs.max} ms`,
        ...target(`< ${figures.intervalS * 500} ms`, figures.driftMs.p99 < figures.intervalS * 500),
      });
    }
    if (runs('events')) {
      events = await benchEvents(standIn);
      const { latencyMs, atThousand } = events;
      rows.push({
        section: 'plex-events',
        measure: 'notification → msg on loopback, p50 / p99 (100 a second)',
        value: `${latencyMs.p50} / ${latencyMs.p99} ms`,
        target: 'p50 < 2 ms',
        met: latencyMs.p50 < 2,
      });
      rows.push({
        section: 'plex-events',
        measure: `1,000 notifications a second for 5 s: msgs out (a second), p50 / p99`,
        value: `${atThousand.received} (${atThousand.perSecond}/s), ${atThousand.p50Ms} / ${atThousand.p99Ms} ms`,
        target: 'all, p99 < 100 ms',
        met: atThousand.keptUp,
      });
      rows.push({
        section: 'plex-events',
        measure: `msgs a second one node sustains (${events.blast.sent} sent as fast as the server can; ${events.blast.received} came out)`,
        value: String(events.maxMsgsPerSecond),
      });
      rows.push({
        section: 'plex-events',
        measure: `memory per live session (${events.sessions} sessions, who and what kept)`,
        value: `${events.bytesPerSession} B`,
      });
    }
  } finally {
    await standIn.stop();
  }
  const connections = runs('servers') ? await benchConnections() : undefined;
  if (connections) {
    rows.push({
      section: 'servers',
      measure: `choosing among ${connections.candidates} connections, ${connections.silent} never answer (limit ${connections.limitMs / 1000} s; answering ones first: ${connections.bestOrderMs} ms)`,
      value: `${connections.worstOrderMs} ms`,
      target: '< 3500 ms',
      met: connections.worstOrderMs < 3500,
    });
    const { candidates, before, inFlight, silentMs, peakConnections } = connections.longList;
    rows.push({
      section: 'servers',
      measure: `${candidates} connections, the answering one after ${before} others: time when they never answer; connections open at once when they answer 503`,
      value: `${silentMs} ms; ${peakConnections}`,
      target: `≤ ${inFlight} open`,
      met: peakConnections <= inFlight,
    });
  }
  const startup = runs('startup') ? await benchStartup() : undefined;
  if (startup) {
    rows.push({
      section: 'start-up',
      measure: `Node-RED start, bare ${startup.bareStartMs} ms, with package ${startup.withPackageStartMs} ms`,
      value: `+${startup.addedMs} ms`,
      target: '< 100 ms',
      met: startup.addedMs < 100,
    });
    rows.push({
      section: 'start-up',
      measure: 'package: tarball / installed with dependencies',
      value: `${startup.tarballKiB} KiB / ${startup.installedKiB} KiB`,
    });
    rows.push({
      section: 'start-up',
      measure: 'dependencies: direct / installed packages',
      value: `${startup.directDependencies} / ${startup.packagesInstalled}`,
    });
  }

  console.log(`Benchmark on ${machine}\n`);
  console.log([...(throughput.length ? [formatThroughput(throughput)] : []), ...(rows.length ? [formatTable(rows)] : [])].join('\n\n'));
  const dir = path.join(repoRoot, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ machine, validation, jwt, hostileBodies, hostileLists, throughput, polling, events, connections, startup, rows }, null, 2),
  );
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
