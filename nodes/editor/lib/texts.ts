/** A node's texts from its message catalog (nodes/locales/<lang>/<type>.json), by keys the compiler knows. */

/** The dotted keys of the texts of a catalog section. */
export type TextKey<Section> = {
  [Name in keyof Section & string]: Section[Name] extends string ? Name : `${Name}.${TextKey<Section[Name]>}`;
}[keyof Section & string];

export type Texts<Section> = (key: TextKey<Section>, values?: Record<string, string | number>) => string;

/** The texts of a node type's own section (`<type>.<key>`), read when asked: the type registers first. */
export function textsOf<Section>(type: string): Texts<Section> {
  return (key, values) => RED.nodes.getType(type)!._(`${type}.${key}`, values);
}
