/** What the package adds to Node-RED's start, and what it costs on disk. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installIntoUserDir, packRepo, startNodeRed } from '../dev/node-red-process';
import { median, round } from './stats';

/** Start to "Started flows", from Node-RED's own timestamps being too coarse: measured from outside. */
async function startMs(userDir: string): Promise<number> {
  const started = Date.now();
  const nodeRed = await startNodeRed({ userDir });
  const elapsed = Date.now() - started;
  await nodeRed.stop();
  return elapsed;
}

function du(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) * 1024;
}

export async function benchStartup(runs = 5) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-startup-'));
  try {
    const bare = path.join(work, 'bare');
    const withPackage = path.join(work, 'with');
    fs.mkdirSync(bare);
    const tarball = packRepo(work);
    installIntoUserDir(withPackage, tarball);
    const bareTimes: number[] = [];
    const withTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      bareTimes.push(await startMs(bare));
      withTimes.push(await startMs(withPackage));
    }
    const installed = path.join(withPackage, 'node_modules');
    const dependencies = fs
      .readdirSync(installed)
      .flatMap((entry) => (entry.startsWith('@') ? fs.readdirSync(path.join(installed, entry)).map((sub) => `${entry}/${sub}`) : [entry]))
      .filter((name) => !name.startsWith('.'));
    return {
      bareStartMs: median(bareTimes),
      withPackageStartMs: median(withTimes),
      addedMs: median(withTimes) - median(bareTimes),
      tarballKiB: round(fs.statSync(tarball).size / 1024, 1),
      installedKiB: round(du(installed) / 1024, 0),
      packagesInstalled: dependencies.length - 1,
      directDependencies: Object.keys(JSON.parse(fs.readFileSync(path.join(installed, '@plexauth', 'node-red-plex-auth', 'package.json'), 'utf8')).dependencies)
        .length,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
