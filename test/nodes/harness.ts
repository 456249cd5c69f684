/** A Node-RED test runtime with the package's nodes, wired to collect outputs, errors and logs. */
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { NodeAPI } from 'node-red';
import type { PlexStandIn } from '../../dev/plex-stand-in';
import { runtimeState, type RuntimeState } from '../../nodes/lib/runtime-state';
import { allNodes, nextEvent } from '../support';

helper.init(require.resolve('node-red'));

/** Node-RED's own Catch node, to receive errors as a flow would. */
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

export { helper };

export const ACCOUNT_TOKEN = 'SECRET-ACCOUNT-TOKEN-7f3a9c';

/** The user directories of this process's runtimes: removed when the process ends. */
const userDirs = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-auth-runtimes-'));
process.once('exit', () => fs.rmSync(userDirs, { recursive: true, force: true }));

/** The running runtime's user directory. */
let userDir = '';

/**
 * Starts a runtime with a user directory of its own, as every Node-RED has: what the nodes keep
 * for a restart (nodes/lib/runtime-state, one per user directory) stays with this runtime, also
 * when the next test file runs in the same process.
 */
export function startRuntime(): Promise<void> {
  userDir = fs.mkdtempSync(path.join(userDirs, 'runtime-'));
  helper.settings({ userDir });
  return new Promise((resolve) => helper.startServer(resolve));
}

/** What the running runtime's nodes keep for a restart (its user directory's RuntimeState). */
export function stateOfRuntime(): RuntimeState {
  const red = (helper as unknown as { _RED: NodeAPI })._RED;
  return runtimeState({ _: (key: string) => key, log: red.log, settings: { userDir } } as unknown as NodeAPI);
}

export function stopRuntime(): Promise<void> {
  return new Promise((resolve) => helper.stopServer(resolve));
}

/**
 * Deploys `flow` to the loaded runtime ("full", or "nodes" for the modified nodes only) and
 * resolves once its flows have started. The helper's own setFlows listens for the start only
 * after the deploy has returned, and gives up after 300 ms: on a busy machine it misses it.
 */
export async function redeploy(flow: unknown[], type: 'full' | 'nodes' = 'full'): Promise<void> {
  const runtime = helper as unknown as { _events: EventEmitter; _redNodes: { setFlows(flow: unknown[], credentials: object, type: string): Promise<unknown> } };
  const started = nextEvent((resolve) => runtime._events.once('flows:started', resolve), 20_000, 'start of the deployed flows');
  await runtime._redNodes.setFlows(flow, {}, type);
  await started;
}

/** Config nodes for a stand-in: an account (with a token unless told otherwise) and a server. */
export function configNodes(standIn: PlexStandIn, options: { serverUrl?: string; plexTvUrl?: string } = {}) {
  return [
    {
      id: 'acct',
      type: 'plex-account',
      name: 'test',
      clientIdentifier: 'client-under-test',
      product: 'Node-RED',
      deviceName: 'Test',
      plexTvUrl: options.plexTvUrl ?? standIn.url,
    },
    { id: 'srv', type: 'plex-server', name: 'test server', url: options.serverUrl ?? standIn.url, account: 'acct', tls: '' },
  ];
}

/**
 * Loads a flow in which node `under` (of `type`, with `props`) sends to helper nodes out0/out1
 * and every error goes to a catch node wired to helper node `caught`.
 */
export async function loadUnderTest(
  standIn: PlexStandIn,
  type: string,
  props: Record<string, unknown>,
  options: { token?: string | null; serverToken?: string; serverUrl?: string; plexTvUrl?: string; outputs?: number } = {},
): Promise<void> {
  const outputs = options.outputs ?? 1;
  const flow = [
    { id: 'tab', type: 'tab', label: 'test' },
    ...configNodes(standIn, options),
    // x and y make them flow nodes: Node-RED takes nodes without a position for config nodes.
    { id: 'under', z: 'tab', type, ...props, x: 100, y: 100, wires: Array.from({ length: outputs }, (_, i) => [`out${i}`]) },
    ...Array.from({ length: outputs }, (_, i) => ({ id: `out${i}`, z: 'tab', type: 'helper', x: 300, y: 100 + 40 * i })),
    { id: 'catch', z: 'tab', type: 'catch', scope: null, uncaught: false, x: 100, y: 200, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper', x: 300, y: 200 },
  ];
  const token = options.token === undefined ? ACCOUNT_TOKEN : options.token;
  const credentials: Record<string, Record<string, string>> = {};
  if (token) credentials.acct = { token };
  if (options.serverToken) credentials.srv = { token: options.serverToken };
  await helper.load([...allNodes, catchNode], flow, credentials);
}

/** Sends a msg to the node under test and resolves with what comes out: an output or a caught error. */
export function outcome(msg: Record<string, unknown>, ms = 8000): Promise<{ port: number; msg: any } | { error: any; msg: any }> {
  const result = nextEvent<{ port: number; msg: any } | { error: any; msg: any }>(
    (resolve) => {
      for (const port of [0, 1]) helper.getNode(`out${port}`)?.on('input', (m: any) => resolve({ port, msg: m }));
      helper.getNode('caught').on('input', (m: any) => resolve({ error: m.error, msg: m }));
    },
    ms,
    'outcome',
  );
  helper.getNode('under').receive(msg);
  return result;
}

/** Everything Node-RED logged in this test, as text. */
export function loggedText(): string {
  const spy = helper.log() as unknown as { args: unknown[][] };
  return spy.args.map((args) => JSON.stringify(args, (_k, v) => (v instanceof Error ? `${v.name}: ${v.message}` : v))).join('\n');
}
