/**
 * The node definitions as the editor gets them: each built dist/nodes/<type>.html's scripts
 * run against a stand-in RED that keeps what registerType is given.
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';

export const distNodes = path.resolve(__dirname, '..', '..', 'nodes');

export interface PropertyDefinition {
  value: unknown;
  required?: boolean;
  type?: string;
  validate?: (this: unknown, value: string, opt?: object) => boolean | string;
}

export interface NodeDefinition {
  category: string;
  defaults: Record<string, PropertyDefinition>;
  credentials?: Record<string, { type: string }>;
  icon?: string;
  paletteLabel?: string | ((this: unknown) => string);
  label?: string | ((this: unknown) => string);
  outputLabels?: string | ((this: unknown, index: number) => string);
  [name: string]: unknown;
}

/** The text of every `<script type="text/javascript">` of a built node's HTML. */
export function editorScripts(type: string): string[] {
  const html = fs.readFileSync(path.join(distNodes, `${type}.html`), 'utf8');
  return [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((match) => match[1]);
}

/** Runs a node's editor scripts as the editor loads them; `texts` answers RED._ and the definition's `_`. */
export function loadDefinitions(type: string, texts: (key: string) => string = (key) => key): Record<string, NodeDefinition> {
  const registered: Record<string, NodeDefinition> = {};
  const RED = {
    nodes: {
      registerType: (registeredType: string, definition: NodeDefinition) => {
        registered[registeredType] = Object.assign(definition, { _: texts });
      },
      getType: (registeredType: string) => registered[registeredType],
      node: () => null,
    },
    comms: { subscribe: () => undefined },
    validators: {
      number: () => (value: unknown) => !Number.isNaN(Number(value)),
      regex: (pattern: RegExp) => (value: unknown) => pattern.test(String(value)),
      typedInput: () => () => true,
    },
    _: texts,
  };
  // No $ and no document: a definition that touched the page while loading would fail here.
  const context = vm.createContext({ RED, URL, console });
  for (const script of editorScripts(type)) vm.runInContext(script, context, { filename: `${type}.html` });
  return registered;
}

/**
 * What the flow library's scorecard (node-red-dev validate, checks N01 and N02) reads of a node's
 * HTML: each RED.nodes.registerType call with a literal type and a literal definition, whose
 * defaults, category and icon it takes only when written literally. Its parser is acorn; the
 * TypeScript parser reads the same syntax tree here.
 */
export function scorecardView(type: string): Array<{ type: string; defaults: string[] | 'not inline'; category?: string; literalIcon: boolean }> {
  const found: ReturnType<typeof scorecardView> = [];
  for (const script of editorScripts(type)) {
    const source = ts.createSourceFile(`${type}.js`, script, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'registerType') {
        const [typeArgument, definition] = node.arguments;
        if (!ts.isStringLiteral(typeArgument) || !ts.isObjectLiteralExpression(definition))
          throw new Error(`${type}.html: registerType without a literal type and definition`);
        const property = (name: string) =>
          definition.properties.find((each): each is ts.PropertyAssignment => ts.isPropertyAssignment(each) && each.name.getText(source) === name);
        const defaults = property('defaults')?.initializer;
        const category = property('category')?.initializer;
        found.push({
          type: typeArgument.text,
          defaults: defaults && ts.isObjectLiteralExpression(defaults) ? defaults.properties.map((each) => each.name!.getText(source)) : 'not inline',
          category: category && ts.isStringLiteral(category) ? category.text : undefined,
          literalIcon: (() => {
            const icon = property('icon')?.initializer;
            return icon === undefined || ts.isStringLiteral(icon);
          })(),
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}
