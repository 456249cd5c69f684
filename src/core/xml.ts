/**
 * Plex answers XML when a client forgets `Accept: application/json`, and some servers or
 * proxies still do. This turns the flat, attribute-only XML Plex uses into the shape of its
 * JSON answers, so that one schema checks both. It is not a general XML parser.
 */

type XmlValue = string | number | boolean | null;
interface XmlElement {
  name: string;
  attributes: Record<string, XmlValue>;
  children: XmlElement[];
}

/** Attributes XML writes as strings but JSON as numbers or booleans. */
const NUMERIC = new Set(['id', 'expiresIn', 'port', 'size', 'offset', 'totalSize']);
const BOOLEAN = new Set(['local', 'relay', 'trusted', 'newRegistration', 'european_union_member']);
/** Children that JSON always writes as arrays. */
const ALWAYS_ARRAY = new Set(['Connection', 'error']);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, entity: string) => {
    if (entity[0] !== '#') return ENTITIES[entity.toLowerCase()];
    const codePoint = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
    // A peer's junk must not throw (RangeError) out of the parser: keep what names no character.
    return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : whole;
  });
}

function typed(name: string, raw: string): XmlValue {
  const value = decodeEntities(raw);
  if (NUMERIC.has(name) && /^-?\d+$/.test(value)) return Number(value);
  if (BOOLEAN.has(name) && /^(1|0|true|false)$/.test(value)) return value === '1' || value === 'true';
  if (name === 'authToken' && value === '') return null;
  return value;
}

function parseElements(xml: string): XmlElement | undefined {
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  const attribute = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  for (const match of xml.matchAll(tag)) {
    const [, closing, name, attributeText, selfClosing] = match;
    if (closing) {
      stack.pop();
      continue;
    }
    const element: XmlElement = { name, attributes: {}, children: [] };
    for (const [, key, doubleQuoted, singleQuoted] of attributeText.matchAll(attribute)) {
      element.attributes[key] = typed(key, doubleQuoted ?? singleQuoted ?? '');
    }
    if (stack.length) stack[stack.length - 1].children.push(element);
    else root ??= element;
    if (!selfClosing) stack.push(element);
  }
  return root;
}

function toJsonShape(element: XmlElement): Record<string, unknown> {
  const object: Record<string, unknown> = { ...element.attributes };
  for (const child of element.children) {
    const value = toJsonShape(child);
    const existing = object[child.name];
    if (Array.isArray(existing)) existing.push(value);
    else if (existing !== undefined) object[child.name] = [existing, value];
    else object[child.name] = ALWAYS_ARRAY.has(child.name) ? [value] : value;
  }
  return object;
}

/**
 * `<MediaContainer size="0" token="t"/>` becomes `{ MediaContainer: { size: 0, token: "t" } }`;
 * any other root (plex.tv's `<pin>`, `<user>`, `<errors>`) becomes its own attributes and
 * children, as plex.tv's JSON is. Undefined when the text holds no element.
 */
export function parsePlexXml(xml: string): Record<string, unknown> | undefined {
  const root = parseElements(xml.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>/g, ''));
  if (!root) return undefined;
  const shaped = toJsonShape(root);
  return root.name === 'MediaContainer' ? { MediaContainer: shaped } : shaped;
}
