/** The package's example flows, as the Import menu offers them. */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './node-red-process';

export type FlowNode = Record<string, unknown>;

export function example(name: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', `${name}.json`), 'utf8')) as FlowNode[];
}

/**
 * Every example in one set of flows: they share one account and one server node (imported one
 * after another, Node-RED reuses them), so each id is taken once.
 */
export function allExamples(): FlowNode[] {
  const files = fs
    .readdirSync(path.join(repoRoot, 'examples'))
    .filter((file) => file.endsWith('.json'))
    .sort();
  const seen = new Set<unknown>();
  return files.flatMap((file) => example(file.replace(/\.json$/, ''))).filter((node) => !seen.has(node.id) && seen.add(node.id));
}
