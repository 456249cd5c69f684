/**
 * Plex answers XML when a client forgets `Accept: application/json`, and some servers or
 * proxies still do. This turns the flat, attribute-only XML Plex uses into the shape of its
 * JSON answers, so that one schema checks both. It is not a general XML parser.
 *
 * The text comes from a peer, so the reader is one forward scan: no step looks back, and no
 * regular expression runs over more than one attribute value. A hostile body of a megabyte
 * costs tens of milliseconds at most, not seconds or minutes of a blocked event loop.
 */

type XmlValue = string | number | boolean | null;
interface XmlElement {
  name: string;
  attributes: Array<[string, XmlValue]>;
  children: XmlElement[];
}

/** Plex nests three or four levels; anything far deeper is junk, and would overflow the stack later. */
export const MAX_XML_DEPTH = 32;
/** Far more elements than a Plex answer in XML holds: a megabyte of "<a/>" would take 100-300 ms to read and shape, this many about 10. */
export const MAX_XML_ELEMENTS = 5_000;
/** The same for attributes, all elements together: a megabyte of ` a=""` in one tag took 150-250 ms. */
export const MAX_XML_ATTRIBUTES = 20_000;

/** Attributes XML writes as strings but JSON as numbers or booleans. */
const NUMERIC = new Set(['id', 'expiresIn', 'port', 'size', 'offset', 'totalSize']);
const BOOLEAN = new Set(['local', 'relay', 'trusted', 'newRegistration', 'european_union_member']);
/** Children that JSON always writes as arrays. */
const ALWAYS_ARRAY = new Set(['Connection', 'error']);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
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

/** [A-Za-z_]: where an element name may start. */
function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** [\w.:-]: what names are made of. */
function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 58) || code === 45 || code === 46;
}

/** What \s matches, without a regular expression for the usual ASCII cases. */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || (code > 127 && /\s/.test(String.fromCharCode(code)));
}

function skip(xml: string, at: number, test: (code: number) => boolean): number {
  while (at < xml.length && test(xml.charCodeAt(at))) at++;
  return at;
}

/** What the reader found at a "<": a tag, or where reading goes on after what is not one. */
type Markup = { tag: true; closing: boolean; element: XmlElement; selfClosing: boolean; end: number } | { tag: false; end: number };

const SKIPPED: Array<[open: string, close: string]> = [
  ['<!--', '-->'],
  ['<?', '?>'],
  ['<!DOCTYPE', '>'],
];

/**
 * Reads the tag that starts at `start` ("<"). Something that is not a tag is skipped only as
 * far as it was read, never read again; the end is -1 when the rest of the text is inside it
 * (an unterminated comment, prolog, doctype or quoted value). Throws when a tag holds more
 * than `attributesLeft` attributes, as soon as it has read one more.
 */
function readMarkup(xml: string, start: number, attributesLeft: number): Markup {
  const second = xml[start + 1];
  if (second === '!' || second === '?') {
    for (const [open, close] of SKIPPED) {
      if (xml.startsWith(open, start)) {
        const at = xml.indexOf(close, start + open.length);
        return { tag: false, end: at < 0 ? -1 : at + close.length };
      }
    }
  }
  const closing = second === '/';
  const nameStart = start + (closing ? 2 : 1);
  if (!isNameStart(xml.charCodeAt(nameStart))) return { tag: false, end: nameStart };
  const nameEnd = skip(xml, nameStart + 1, isNameChar);
  // Where each attribute's key and value start and end; sliced and typed only for a whole tag,
  // so that junk costs no copying or decoding.
  const bounds: number[] = [];
  for (let at = nameEnd; ;) {
    const afterSpace = skip(xml, at, isSpace);
    const next = xml.charCodeAt(afterSpace);
    const selfClosing = next === 47 && xml.charCodeAt(afterSpace + 1) === 62; // "/>"
    if (next === 62 || selfClosing) {
      const element: XmlElement = { name: xml.slice(nameStart, nameEnd), attributes: [], children: [] };
      for (let i = 0; i < bounds.length; i += 4) {
        const key = xml.slice(bounds[i], bounds[i + 1]);
        element.attributes.push([key, typed(key, xml.slice(bounds[i + 2], bounds[i + 3]))]);
      }
      return { tag: true, closing, element, selfClosing, end: afterSpace + (selfClosing ? 2 : 1) };
    }
    // Each attribute follows white space: name, "=", then a value in double or single quotes.
    if (afterSpace === at) return { tag: false, end: at };
    const keyEnd = skip(xml, afterSpace, isNameChar);
    if (keyEnd === afterSpace) return { tag: false, end: afterSpace };
    const equals = skip(xml, keyEnd, isSpace);
    if (xml[equals] !== '=') return { tag: false, end: equals };
    const quoteAt = skip(xml, equals + 1, isSpace);
    const quote = xml[quoteAt];
    if (quote !== '"' && quote !== "'") return { tag: false, end: quoteAt };
    const valueEnd = xml.indexOf(quote, quoteAt + 1);
    if (valueEnd < 0) return { tag: false, end: -1 };
    bounds.push(afterSpace, keyEnd, quoteAt + 1, valueEnd);
    // Checked as they are read: a hostile tag is not read to its end first, closed or not.
    if (bounds.length > attributesLeft * 4) throw new Error(`more than ${MAX_XML_ATTRIBUTES} attributes`);
    at = valueEnd + 1;
  }
}

/** The root element, read up to its end (what follows the root is not Plex's answer). */
function parseElements(xml: string): XmlElement | undefined {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let attributes = 0;
  for (let at = xml.indexOf('<'); at >= 0;) {
    const markup = readMarkup(xml, at, MAX_XML_ATTRIBUTES - attributes);
    if (markup.end < 0) break;
    at = xml.indexOf('<', markup.end);
    if (!markup.tag) continue;
    attributes += markup.element.attributes.length;
    if (markup.closing) {
      stack.pop();
      if (root && !stack.length) break;
      continue;
    }
    if (stack.length >= MAX_XML_DEPTH) throw new Error(`nested deeper than ${MAX_XML_DEPTH} levels`);
    if (++elements > MAX_XML_ELEMENTS) throw new Error(`more than ${MAX_XML_ELEMENTS} elements`);
    if (stack.length) stack[stack.length - 1].children.push(markup.element);
    else root = markup.element;
    if (!markup.selfClosing) stack.push(markup.element);
    else if (!stack.length) break;
  }
  return root;
}

/** An own property even for names such as "__proto__" or "constructor", which a peer may choose. */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  // Only "__proto__" is a setter; every other name is assigned as an own property.
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

function toJsonShape(element: XmlElement): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of element.attributes) setOwn(object, key, value);
  for (const child of element.children) {
    const value = toJsonShape(child);
    const existing = Object.hasOwn(object, child.name) ? object[child.name] : undefined;
    if (Array.isArray(existing)) existing.push(value);
    else if (existing !== undefined) setOwn(object, child.name, [existing, value]);
    else setOwn(object, child.name, ALWAYS_ARRAY.has(child.name) ? [value] : value);
  }
  return object;
}

/**
 * `<MediaContainer size="0" token="t"/>` becomes `{ MediaContainer: { size: 0, token: "t" } }`;
 * any other root (plex.tv's `<pin>`, `<user>`, `<errors>`) becomes its own attributes and
 * children, as plex.tv's JSON is. Undefined when the text holds no element. Throws (an Error
 * saying why) for XML nested deeper than MAX_XML_DEPTH levels, or of more than MAX_XML_ELEMENTS
 * elements or MAX_XML_ATTRIBUTES attributes, which no Plex answer is.
 */
export function parsePlexXml(xml: string): Record<string, unknown> | undefined {
  const root = parseElements(xml);
  if (!root) return undefined;
  const shaped = toJsonShape(root);
  return root.name === 'MediaContainer' ? { MediaContainer: shaped } : shaped;
}
