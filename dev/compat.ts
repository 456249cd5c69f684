/**
 * `npm run compat`: the packed package in a clean Node-RED 4.1 on this machine's Node.js
 * (20) and in a clean Node-RED 5.0 on Node.js 22 (from the npm registry's `node` package):
 * each starts, loads every node of package.json, deploys every example, and runs the PIN flow to a token
 * against the stand-in. Prints a line per check; exits non-zero when one fails.
 */
import { allExamples } from './examples';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlexStandIn } from './plex-stand-in';
import { installIntoUserDir, packRepo, repoRoot, startNodeRed, type NodeRed } from './node-red-process';
import { checkFlows, runPinFlow, runTransientToken } from './flow-check';

interface Target {
  name: string;
  nodeRed: string;
  /** npm spec of a Node.js to run it with; none: this process's. */
  node?: string;
}

/** The node types package.json lists for Node-RED. */
const expectedTypes = Object.keys(
  (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes,
);

const targets: Target[] = [
  { name: 'Node-RED 4.1 on Node.js 20', nodeRed: 'node-red@~4.1.0' },
  { name: 'Node-RED 5.0 on Node.js 22', nodeRed: 'node-red@~5.0.0', node: 'node@22' },
];

function npmInstall(dir: string, ...specs: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'compat', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: dir, stdio: 'pipe' });
}

/** Every example, its servers and accounts pointed at the stand-in. */
function examples(standInUrl: string): Record<string, unknown>[] {
  return allExamples().map((node) => {
    if (node.type === 'plex-account') return { ...node, clientIdentifier: `compat-${node.id}`, plexTvUrl: standInUrl };
    if (node.type === 'plex-server') return { ...node, url: standInUrl };
    return node;
  });
}

async function check(target: Target, tarball: string, work: string, standIn: PlexStandIn): Promise<string[]> {
  const failures: string[] = [];
  const step = async (what: string, run: () => Promise<void> | void) => {
    const started = Date.now();
    try {
      await run();
      console.log(`  ok    ${what} (${Date.now() - started} ms)`);
    } catch (error) {
      failures.push(what);
      console.log(`  FAIL  ${what}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  };
  const runtime = path.join(work, target.nodeRed.replace(/\W+/g, '-'));
  const userDir = path.join(runtime, 'user');
  let nodeBinary = process.execPath;
  let nodeRed: NodeRed | undefined;
  console.log(target.name);
  await step(`install ${target.nodeRed}${target.node ? ` and ${target.node}` : ''}`, () => {
    npmInstall(runtime, target.nodeRed, ...(target.node ? [target.node] : []));
    if (target.node) nodeBinary = path.join(runtime, 'node_modules', 'node', 'bin', 'node');
    installIntoUserDir(userDir, tarball);
  });
  if (failures.length) return failures;
  await step(`start (${execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim()})`, async () => {
    nodeRed = await startNodeRed({ userDir, nodeBinary, nodeRedDir: path.join(runtime, 'node_modules', 'node-red') });
  });
  if (!nodeRed) return failures;
  const running = nodeRed;
  await step(`the ${expectedTypes.length} node types load`, async () => {
    const sets = (await (await running.admin('GET', '/nodes', undefined, { Accept: 'application/json' })).json()) as Array<{
      module: string;
      types: string[];
      err?: string;
    }>;
    const ours = sets.filter((set) => set.module === '@plexauth/node-red-plex-auth');
    const types = ours.flatMap((set) => set.types);
    if (types.length !== expectedTypes.length || ours.some((set) => set.err))
      throw new Error(`loaded ${types.join(', ')} ${ours.map((set) => set.err ?? '').join(' ')}`);
  });
  await step('deploy every example', async () => {
    await running.deploy(examples(standIn.url));
    if (/\[error\]/.test(running.output()))
      throw new Error(
        running
          .output()
          .split('\n')
          .filter((line) => line.includes('[error]'))
          .join('; '),
      );
  });
  await step('PIN flow to a stored token, used by a server node', async () => {
    await running.deploy(checkFlows(standIn.url));
    const token = await runPinFlow(running, standIn);
    if ((await runTransientToken(running, standIn)) !== token) throw new Error('the server did not get the stored token');
  });
  await running.stop();
  return failures;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-compat-'));
  const standIn = new PlexStandIn({ approveAfterPolls: 2 });
  await standIn.start();
  const failures: string[] = [];
  try {
    const tarball = packRepo(work);
    for (const target of targets) failures.push(...(await check(target, tarball, work, standIn)).map((what) => `${target.name}: ${what}`));
  } finally {
    await standIn.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(failures.length ? `compat: ${failures.length} failed: ${failures.join('; ')}` : 'compat: every check passed');
  process.exit(failures.length ? 1 : 0);
}

void main();
