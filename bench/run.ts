/**
 * `npm run bench`: every benchmark in one run, against the stand-in in a process of its own;
 * prints a table with the targets of issue 5 and writes JSON to bench/results/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStandInProcess } from './stand-in-process';
import { benchThroughput } from './throughput';
import { benchValidation } from './validation';
import { benchHostileBodies } from './hostile-bodies';
import { benchStartup } from './startup';
import { benchPolling } from './polling';
import { formatTable, type Row } from './stats';
import { repoRoot } from '../dev/node-red-process';

async function main(): Promise<void> {
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const rows: Row[] = [];
  const validation = benchValidation();
  for (const { schema, nsPerResponse, runtimeCompiledNs, standaloneNs } of validation) {
    rows.push({ section: 'validation', measure: `${schema}: ns/response (validator alone: runtime-compiled ${runtimeCompiledNs}, standalone ${standaloneNs})`, value: String(nsPerResponse), target: '< 2000', met: nsPerResponse < 2000 });
  }

  const hostileBodies = await benchHostileBodies();
  for (const { name, status, stallMs } of hostileBodies) {
    rows.push({ section: 'hostile body', measure: `${name}, answered ${status}: event-loop stall`, value: `${stallMs} ms`, target: '< 50 ms', met: stallMs < 50 });
  }

  const standIn = await startStandInProcess();
  let throughput, polling;
  try {
    throughput = await benchThroughput(standIn);
    for (const result of throughput) {
      rows.push({
        section: 'flow/floor',
        measure: `${result.call} ×${result.concurrency}: p50 ${result.flow.p50Ms}/${result.floor.p50Ms} ms, ${result.flow.callsPerSecond}/${result.floor.callsPerSecond} calls/s`,
        value: `p50 ×${result.p50Ratio}`,
        target: '≤ ×1.10',
        met: result.p50Ratio <= 1.1,
      });
    }
    polling = await benchPolling(standIn);
    rows.push({ section: 'polling', measure: `memory per pending PIN (${polling.pins} PINs)`, value: `${polling.bytesPerPin} B`, target: '< 10 KB', met: polling.bytesPerPin < 10_240 });
    rows.push({ section: 'polling', measure: 'timers per PIN', value: String(polling.timersPerPin), target: '≤ 1', met: polling.timersPerPin <= 1 });
    rows.push({ section: 'polling', measure: 'requests/s sent', value: `${polling.requestsPerSecond} (${polling.expectedRequestsPerSecond} at the interval)` });
    rows.push({ section: 'polling', measure: 'interval drift p50/p99/max', value: `${polling.driftMs.p50}/${polling.driftMs.p99}/${polling.driftMs.max} ms`, target: `< ${polling.intervalS * 500} ms`, met: polling.driftMs.p99 < polling.intervalS * 500 });
  } finally {
    await standIn.stop();
  }
  const startup = await benchStartup();
  rows.push({ section: 'start-up', measure: `Node-RED start, bare ${startup.bareStartMs} ms, with package ${startup.withPackageStartMs} ms`, value: `+${startup.addedMs} ms`, target: '< 100 ms', met: startup.addedMs < 100 });
  rows.push({ section: 'start-up', measure: 'package: tarball / installed with dependencies', value: `${startup.tarballKiB} KiB / ${startup.installedKiB} KiB` });
  rows.push({ section: 'start-up', measure: 'dependencies: direct / installed packages', value: `${startup.directDependencies} / ${startup.packagesInstalled}` });

  console.log(`Benchmark on ${machine}\n`);
  console.log(formatTable(rows));
  const dir = path.join(repoRoot, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ machine, validation, hostileBodies, throughput, polling, startup, rows }, null, 2));
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
