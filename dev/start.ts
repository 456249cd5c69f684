/**
 * `npm start`: a local Node-RED (this repo's dev dependency) with these nodes installed, in
 * the user directory `.node-red/` of this folder, at http://127.0.0.1:1880.
 * `npm run demo`: the same, plus a local stand-in for plex.tv and a Plex Media Server, with a
 * demo flow pointed at it, so that the whole PIN flow, and the server's live events, can be
 * tried without a Plex account.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PlexStandIn } from './plex-stand-in';
import { allExamples, example, type FlowNode } from './examples';
import { installIntoUserDir, repoRoot, startNodeRed } from './node-red-process';

const demo = process.argv.includes('--demo');
const userDir = path.resolve(process.env.NODE_RED_USER_DIR ?? path.join(repoRoot, demo ? '.node-red-demo' : '.node-red'));
const port = Number(process.env.PORT ?? 1880);
const DEMO_SOURCE = 'server://0123456789abcdef0123456789abcdef01234567';

/** The sign-in example, with a fresh client identifier, as the first flow of a new user directory. */
function signInFlow(): FlowNode[] {
  return example('sign-in-without-a-dashboard').map((node) => (node.type === 'plex-account' ? { ...node, clientIdentifier: randomUUID() } : node));
}

/**
 * The demo: every example (they share one account and one server), pointed at the stand-in, the
 * server token set as a credential, as a user would in the plex-server dialog.
 */
function demoFlows(standIn: PlexStandIn, serverToken: string): FlowNode[] {
  const approveAt = `${standIn.url}/demo`;
  return allExamples().map((node) => {
    if (node.type === 'plex-account') return { ...node, clientIdentifier: randomUUID(), plexTvUrl: standIn.url };
    if (node.type === 'plex-server') return { ...node, url: standIn.url, credentials: { token: serverToken } };
    // The demo's plex.tv is the stand-in: its "how to approve" leads there, not to the real app.plex.tv.
    if (node.id === 'signin-link') {
      return {
        ...node,
        rules: [
          {
            t: 'set',
            p: 'payload',
            pt: 'msg',
            to: `"Approve PIN " & payload.code & " at ${approveAt} (the demo's plex.tv), before " & payload.expiresAt`,
            tot: 'jsonata',
          },
        ],
      };
    }
    if (node.id === 'signin-comment') return { ...node, info: `In this demo, plex.tv is a stand-in: approve at ${approveAt}.\n\n${node.info}` };
    return node;
  });
}

/** The demo starts fresh: no flows, credentials or sealed state of an earlier run (its stand-in's tokens are gone). */
function forgetEarlierDemo(): void {
  for (const file of ['flows.json', 'flows_cred.json', '.flows.json.backup', '.flows_cred.json.backup', '.plex-auth', '.config.runtime.json']) {
    fs.rmSync(path.join(userDir, file), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(userDir, { recursive: true });
  if (demo) forgetEarlierDemo();
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
    standIn.sources.set(DEMO_SOURCE, {
      name: 'Living Room Server',
      clientIdentifier: DEMO_SOURCE.slice('server://'.length),
      accessToken: 'transient-demo-access',
      Connection: [
        { protocol: 'https', address: '192.168.1.20', port: 32400, uri: 'https://192-168-1-20.0123abcd.plex.direct:32400', local: true, relay: false },
        { protocol: 'https', address: '203.0.113.7', port: 32400, uri: 'https://203-0-113-7.0123abcd.plex.direct:32400', local: false, relay: false },
      ],
    });
    // The account's servers for plex-servers and Find servers; /demo has a button to move each.
    await standIn.addDemoServers();
    await nodeRed.deploy(demoFlows(standIn, standIn.addAccount('demo-admin')));
  } else if (firstRun) {
    await nodeRed.deploy(signInFlow());
  }

  process.stdout.write(`\nNode-RED is running at ${nodeRed.url} with the Plex nodes (user directory ${userDir}).\n`);
  if (standIn) {
    process.stdout.write(
      `Demo: open "My Plex account" and press Sign in with Plex (or press "make a PIN"), then approve at ${standIn.url}/demo (the stand-in for plex.tv).\n`,
    );
    process.stdout.write(`The same page revokes a token (watch "sign in again", then mend it) and makes the servers take Plex JWTs.\n`);
    process.stdout.write(`Once signed in, link the code of the TV at ${standIn.url}/demo/tv with the "Link a TV's code" flow or the account's dialog.\n`);
    process.stdout.write(`Play, pause and stop on the server's players at ${standIn.url}/demo/player: the "Plex lights" flow hears it.\n`);
  }
  process.stdout.write('Press Ctrl-C to stop.\n');

  const stop = async (): Promise<void> => {
    await nodeRed.stop();
    await standIn?.stopServers();
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
