/**
 * A real Node-RED runtime in this process, embedded as Node-RED documents it (RED.init,
 * RED.start), with this package and the bench's bare node installed in a user directory of
 * its own. Unlike node-red-node-test-helper it wraps no node method in a spy, so what is
 * measured is what a deployed Node-RED does.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../dev/node-red-process';
import { installBareNode, writeFlows, type FlowNode } from './contenders';

interface NodeApi {
  getNode(id: string): { receive(msg: object): void; on(event: 'input', listener: (msg: object) => void): void } | null;
}
interface EmbeddedApi {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: NodeApi;
}

export interface EmbeddedNodeRed {
  nodes: NodeApi;
  stop(): Promise<void>;
}

/** Starts Node-RED with these flows and credentials (by node id) deployed, as after a restart. */
export async function startEmbeddedNodeRed(flows: FlowNode[], credentials: Record<string, object> = {}): Promise<EmbeddedNodeRed> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-bench-'));
  fs.mkdirSync(path.join(userDir, 'node_modules', '@plexauth'), { recursive: true });
  fs.symlinkSync(repoRoot, path.join(userDir, 'node_modules', '@plexauth', 'node-red-plex-auth'), 'dir');
  installBareNode(userDir);
  writeFlows(userDir, flows, credentials);

  const RED = require('node-red') as EmbeddedApi;
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  });
  await RED.start();
  // The flows start after RED.start resolves: wait until the last node is there.
  const last = flows[flows.length - 1].id;
  for (const until = Date.now() + 10_000; !RED.nodes.getNode(last);) {
    if (Date.now() > until) throw new Error('the bench flow did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    nodes: RED.nodes,
    async stop() {
      await RED.stop();
      server.close();
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}
