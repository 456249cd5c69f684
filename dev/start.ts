/**
 * `npm start`: a local Node-RED (this repo's dev dependency) with these nodes installed, in
 * the user directory `.node-red/` of this folder, at http://127.0.0.1:1880.
 * `npm run demo`: the same, plus a local stand-in for plex.tv and a Plex Media Server, with a
 * demo flow pointed at it, so that the whole PIN flow can be tried without a Plex account.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PlexStandIn } from './plex-stand-in';
import { installIntoUserDir, repoRoot, startNodeRed } from './node-red-process';

const demo = process.argv.includes('--demo');
const userDir = path.resolve(process.env.NODE_RED_USER_DIR ?? path.join(repoRoot, demo ? '.node-red-demo' : '.node-red'));
const port = Number(process.env.PORT ?? 1880);
const DEMO_SOURCE = 'server://0123456789abcdef0123456789abcdef01234567';

/** The sign-in example, with a fresh client identifier, as the first flow of a new user directory. */
function signInFlow(plexTvUrl?: string): Record<string, unknown>[] {
  const example = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', 'sign-in-without-a-dashboard.json'), 'utf8')) as Record<string, unknown>[];
  return example.map((node) =>
    node.type === 'plex-account' ? { ...node, clientIdentifier: randomUUID(), ...(plexTvUrl ? { plexTvUrl } : {}) } : node,
  );
}

/** The demo adds a server on the stand-in and a flow for transient tokens and source info. */
function demoFlows(standIn: PlexStandIn, accountId: string, serverToken: string): Record<string, unknown>[] {
  return [
    { id: 'demo-server', type: 'plex-server', name: 'Stand-in server', url: standIn.url, account: accountId, tls: '', credentials: { token: serverToken } },
    { id: 'demo-tab', type: 'tab', label: 'Demo: server calls' },
    { id: 'demo-note', type: 'comment', z: 'demo-tab', name: 'A transient token and source info from the stand-in server', info: '', x: 260, y: 40, wires: [] },
    { id: 'demo-inject-1', type: 'inject', z: 'demo-tab', name: 'transient token', props: [{ p: 'payload' }], payload: '', payloadType: 'date', repeat: '', once: false, x: 140, y: 100, wires: [['demo-transient']] },
    { id: 'demo-transient', type: 'plex-transient-token', z: 'demo-tab', name: '', server: 'demo-server', x: 360, y: 100, wires: [['demo-debug']] },
    { id: 'demo-inject-2', type: 'inject', z: 'demo-tab', name: 'source info', props: [{ p: 'payload' }], payload: DEMO_SOURCE, payloadType: 'str', repeat: '', once: false, x: 130, y: 160, wires: [['demo-source']] },
    { id: 'demo-source', type: 'plex-source-info', z: 'demo-tab', name: '', server: 'demo-server', source: '', sourceType: 'str', refresh: false, x: 360, y: 160, wires: [['demo-debug']] },
    { id: 'demo-debug', type: 'debug', z: 'demo-tab', name: 'result', active: true, tosidebar: true, console: false, complete: 'payload', targetType: 'msg', x: 580, y: 130, wires: [] },
    { id: 'demo-catch', type: 'catch', z: 'demo-tab', name: '', scope: null, uncaught: false, x: 140, y: 220, wires: [['demo-errors']] },
    { id: 'demo-errors', type: 'debug', z: 'demo-tab', name: 'errors', active: true, tosidebar: true, console: false, complete: 'error', targetType: 'msg', x: 580, y: 220, wires: [] },
  ];
}

async function main(): Promise<void> {
  fs.mkdirSync(userDir, { recursive: true });
  process.stdout.write(`Installing this package into ${path.relative(process.cwd(), userDir) || userDir} …\n`);
  installIntoUserDir(userDir, repoRoot);
  const firstRun = !fs.existsSync(path.join(userDir, 'flows.json'));

  let standIn: PlexStandIn | undefined;
  if (demo) {
    standIn = new PlexStandIn({ strongLifetimeSec: 600, codeLifetimeSec: 300 });
    await standIn.start(Number(process.env.STAND_IN_PORT ?? 0));
  }
  const nodeRed = await startNodeRed({ userDir, port, echo: true });

  if (standIn) {
    // Every demo start gets flows that point at this run's stand-in.
    const flows = signInFlow(standIn.url);
    const accountId = String(flows.find((node) => node.type === 'plex-account')!.id);
    standIn.sources.set(DEMO_SOURCE, {
      name: 'Living Room Server',
      clientIdentifier: DEMO_SOURCE.slice('server://'.length),
      accessToken: 'transient-demo-access',
      Connection: [
        { protocol: 'https', address: '192.168.1.20', port: 32400, uri: 'https://192-168-1-20.0123abcd.plex.direct:32400', local: true, relay: false },
        { protocol: 'https', address: '203.0.113.7', port: 32400, uri: 'https://203-0-113-7.0123abcd.plex.direct:32400', local: false, relay: false },
      ],
    });
    await nodeRed.deploy([...flows, ...demoFlows(standIn, accountId, standIn.addAccount('demo-admin'))]);
  } else if (firstRun) {
    await nodeRed.deploy(signInFlow());
  }

  process.stdout.write(`\nNode-RED is running at ${nodeRed.url} with the Plex nodes (user directory ${userDir}).\n`);
  if (standIn) process.stdout.write(`Demo: press "make a PIN", then approve it at ${standIn.url}/demo (the stand-in for plex.tv).\n`);
  process.stdout.write('Press Ctrl-C to stop.\n');

  const stop = async (): Promise<void> => {
    await nodeRed.stop();
    await standIn?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  nodeRed.process.once('exit', (code) => {
    void standIn?.stop();
    process.exit(code ?? 0);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
