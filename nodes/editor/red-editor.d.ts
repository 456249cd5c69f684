/**
 * The editor's globals: RED as @types/node-red__editor-client types it, $ from @types/jquery,
 * and here what those types lack of Node-RED 4.1 and 5.
 */
import type * as Editor from '@node-red/editor-client';

declare global {
  /** A property whose validator may give the reason as text: Node-RED (3 and later) shows it from a validator that takes two parameters. */
  type EditorPropertyDef<Value, Instance> = Omit<Editor.NodePropertyDef<Value>, 'validate'> & {
    validate?: (this: Instance, value: string, opt: object) => boolean | string;
  };

  /** A node as the dialog functions get it (`this`): its properties, `_` for its catalog, and the credentials the editor may see. */
  type EditorNodeInstance<Props, Credentials> = Editor.NodeInstance<Props & Editor.NodeProperties> & {
    credentials?: { [Name in keyof Credentials as `has_${Name & string}`]?: boolean };
  };

  /** A node definition; `oneditsave` may return true, and the editor then records a change even when no property changed. */
  interface EditorNodeDef<Props, Credentials, Instance = EditorNodeInstance<Props, Credentials>> extends Omit<
    Editor.NodeDef<Props & Editor.NodeProperties, Credentials>,
    'defaults' | 'oneditsave' | 'oneditprepare' | 'oneditcancel' | 'oneditdelete' | 'label' | 'onadd'
  > {
    defaults: { [Name in keyof Props]-?: EditorPropertyDef<Props[Name], Instance> };
    label?: (this: Instance) => string;
    onadd?: (this: Instance) => void;
    oneditprepare?: (this: Instance) => void;
    oneditsave?: (this: Instance) => boolean | void;
    oneditcancel?: (this: Instance) => void;
    oneditdelete?: (this: Instance) => void;
  }

  /** A node as RED.nodes.node() gives it, with the flags that make Deploy save it. */
  interface EditorNode {
    id: string;
    type: string;
    changed?: boolean;
    dirty?: boolean;
  }

  /** A registered definition: registerType gives it `_`, which reads the node's own catalog. */
  interface RegisteredNodeDef {
    _(key: string, values?: Record<string, string | number>): string;
  }

  /** What RED.notify gives: the notice, which can be closed. */
  interface EditorNotification extends HTMLDivElement {
    close(): void;
  }

  interface EditorNotifyButton {
    text: string;
    class?: string;
    click: (event: JQuery.Event) => void;
  }

  const RED: Omit<Editor.RED, 'nodes' | 'notify' | 'editor' | 'utils'> & {
    notify(message: string, options: { type?: Editor.NotificationType; fixed?: boolean; id?: string; buttons?: EditorNotifyButton[] }): EditorNotification;
    /** editConfig without a parent node (name "", no prefix) edits the config node alone, as the config sidebar does. */
    editor: Omit<Editor.Editor, 'editConfig'> & { editConfig(name: string, type: string, id: string, prefix?: string): void };
    utils: Omit<Editor.Utils, 'getNodeLabel'> & { getNodeLabel(node: EditorNode, defaultLabel?: string): string };
    nodes: Omit<Editor.Nodes, 'registerType' | 'getType' | 'node'> & {
      registerType<Props, Credentials, Instance>(type: string, definition: EditorNodeDef<Props, Credentials, Instance>): void;
      getType(type: string): RegisteredNodeDef | undefined;
      node(id: string): EditorNode | null;
    };
  };
}
