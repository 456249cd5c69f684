/**
 * The contenders of the throughput bench, each making the same transient-token call against
 * the stand-in, as flow nodes that either set-up (embedded, or a node-red process) wires up:
 * - ours: plex-transient-token (and, for a row of its own, with `reuse` on);
 * - bare: the bench's bare node (node-fetch, the same headers, JSON.parse, send: the limit);
 * - http-request: the core `http request` node (keep-alive on, JSON out), as a user would build it by hand.
 */
import fs from 'node:fs';
import path from 'node:path';
import { identityHeaders } from '../src/core';
import type { StandInProcess } from './stand-in-process';

/** The type bare-node.ts registers. */
const BARE_TYPE = 'bench-bare-transient-token';

/** The three compared round by round; ours-reuse is measured beside them. */
export const CONTENDERS = ['ours', 'bare', 'http-request'] as const;
export type Contender = (typeof CONTENDERS)[number];
export type Variant = Contender | 'ours-reuse';

export type FlowNode = { id: string } & Record<string, unknown>;

/** Flow nodes sit on a tab and have a position: Node-RED takes the others for config nodes. */
export const ON_TAB = { z: 'tab', x: 100, y: 100 };

/**
 * The account and server config nodes, the credentials to store with them, and each
 * variant's node (id = the variant's name) with the given wires.
 */
export function contenderFlow(
  standIn: StandInProcess,
  wires: string[][],
): { config: FlowNode[]; credentials: Record<string, object>; nodes: Record<Variant, FlowNode> } {
  const clientIdentifier = 'bench-client-0001';
  const url = `${standIn.url}/security/token?type=delegation&scope=all`;
  const headers = { ...identityHeaders({ clientIdentifier, product: 'Node-RED', deviceName: 'bench' }), 'X-Plex-Token': standIn.token };
  const node = (id: Variant, settings: { type: string } & Record<string, unknown>): FlowNode => ({ id, ...ON_TAB, wires, ...settings });
  return {
    config: [
      { id: 'tab', type: 'tab' },
      { id: 'acct', type: 'plex-account', clientIdentifier, product: 'Node-RED', deviceName: 'bench', plexTvUrl: standIn.url },
      { id: 'srv', type: 'plex-server', url: standIn.url, account: 'acct' },
    ],
    credentials: { acct: { token: standIn.token } },
    nodes: {
      ours: node('ours', { type: 'plex-transient-token', server: 'srv' }),
      'ours-reuse': node('ours-reuse', { type: 'plex-transient-token', server: 'srv', reuse: true }),
      bare: node('bare', { type: BARE_TYPE, url, headers }),
      'http-request': node('http-request', {
        type: 'http request',
        method: 'GET',
        ret: 'obj',
        paytoqs: 'ignore',
        url,
        persist: true,
        senderr: true,
        tls: '',
        proxy: '',
        authType: '',
        headers: Object.entries(headers).map(([name, value]) => ({ keyType: 'other', keyValue: name, valueType: 'other', valueValue: value })),
      }),
    },
  };
}

/** Flows and credentials (not encrypted: credentialSecret false) as Node-RED reads them when it starts. */
export function writeFlows(userDir: string, flows: FlowNode[], credentials: Record<string, object>): void {
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
}

/** The bare node as an installed module of its own in a user directory: it is the bench's, not the package's. */
export function installBareNode(userDir: string): void {
  const dir = path.join(userDir, 'node_modules', 'bench-bare-node');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench-bare-node', version: '1.0.0', 'node-red': { nodes: { bare: 'bare.js' } } }));
  fs.writeFileSync(path.join(dir, 'bare.js'), `module.exports = require(${JSON.stringify(path.join(__dirname, 'bare-node.js'))});\n`);
  fs.writeFileSync(path.join(dir, 'bare.html'), '');
}
