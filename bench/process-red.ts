/**
 * The throughput bench as users run Node-RED: a real `node-red` process (dev/node-red-process.ts)
 * with the packed package installed in its user directory, as the end-to-end tests install it,
 * and the bench's bare node beside it. Each variant sits behind `http in` → variant →
 * `http response`, how flows are really triggered, and a call is an HTTP request from this
 * process over a keep-alive agent.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { installIntoUserDir, packRepo, startNodeRed, type NodeRed } from '../dev/node-red-process';
import { ON_TAB, contenderFlow, installBareNode, writeFlows, type Variant } from './contenders';
import type { StandInProcess } from './stand-in-process';
import type { Call } from './throughput';

export interface ProcessNodeRed {
  nodeRed: NodeRed;
  calls: Record<Variant, Call>;
  stop(): Promise<void>;
}

/** A GET that resolves on a 200 and rejects with the answer's text on anything else. */
function getter(agent: http.Agent, base: URL, pathname: string): Call {
  return () =>
    new Promise<void>((resolve, reject) => {
      const request = http.get({ host: base.hostname, port: base.port, path: pathname, agent }, (response) => {
        if (response.statusCode === 200) {
          response.once('end', resolve).resume();
          return;
        }
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.once('end', () => reject(new Error(`${pathname} answered ${response.statusCode}: ${text.slice(0, 300)}`)));
      });
      request.once('error', reject);
    });
}

/** Starts node-red with every variant deployed; `env` is added to its environment (a profiler hook). */
export async function startProcessNodeRed(standIn: StandInProcess, env: NodeJS.ProcessEnv = {}): Promise<ProcessNodeRed> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plex-bench-process-'));
  const userDir = path.join(work, 'user');
  installIntoUserDir(userDir, packRepo(work));
  installBareNode(userDir);
  const { config, credentials, nodes } = contenderFlow(standIn, [['answer']]);
  const variants = Object.keys(nodes) as Variant[];
  writeFlows(
    userDir,
    [
      ...config,
      ...variants.flatMap((variant) => [
        { id: `in-${variant}`, type: 'http in', ...ON_TAB, url: `/bench/${variant}`, method: 'get', upload: false, swaggerDoc: '', wires: [[variant]] },
        nodes[variant],
      ]),
      { id: 'answer', type: 'http response', ...ON_TAB, statusCode: '', headers: {}, wires: [] },
      // An error answers 500 with its message, so that the driver fails instead of waiting.
      { id: 'catcher', type: 'catch', ...ON_TAB, scope: null, uncaught: false, wires: [['error-text']] },
      { id: 'error-text', type: 'change', ...ON_TAB, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }], wires: [['failed']] },
      { id: 'failed', type: 'http response', ...ON_TAB, statusCode: '500', headers: {}, wires: [] },
    ],
    credentials,
  );
  const nodeRed = await startNodeRed({ userDir, env, settings: { credentialSecret: false } }).catch((error: unknown) => {
    fs.rmSync(work, { recursive: true, force: true });
    throw error;
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const base = new URL(nodeRed.url);
  return {
    nodeRed,
    calls: Object.fromEntries(variants.map((variant) => [variant, getter(agent, base, `/bench/${variant}`)])) as Record<Variant, Call>,
    async stop() {
      agent.destroy();
      await nodeRed.stop();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
