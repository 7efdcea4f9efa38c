/**
 * Reads generated domain XML back with a real XML parser (xmlbuilder2's DOM), so tests assert on
 * what an XML consumer sees (unescaped names, attributes) rather than on substrings.
 */
import { create } from 'xmlbuilder2';

export interface XmlElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  readonly attributes: { length: number; item(index: number): { name: string; value: string } | null };
  readonly childNodes: { length: number; item(index: number): (XmlElement & { nodeType: number }) | null };
}

/** The `<domain>` element of an XML document. */
export function parseDomain(xml: string): XmlElement {
  const document = create(xml).node as unknown as { documentElement: XmlElement };
  if (document.documentElement.tagName !== 'domain') throw new Error(`root is <${document.documentElement.tagName}>, not <domain>`);
  return document.documentElement;
}

export function childElements(element: XmlElement): XmlElement[] {
  // childNodes, not children: this DOM's `children` collection is not limited to direct children.
  const out: XmlElement[] = [];
  for (let index = 0; index < element.childNodes.length; index++) {
    const node = element.childNodes.item(index)!;
    if (node.nodeType === 1) out.push(node);
  }
  return out;
}

/** Every element at a slash-separated path of child tag names below `element` ("cputune/vcpupin"). */
export function all(element: XmlElement, path: string): XmlElement[] {
  let level = [element];
  for (const tag of path.split('/')) level = level.flatMap((parent) => childElements(parent).filter((child) => child.tagName === tag));
  return level;
}

/** The one element at `path`; throws when there are none or several. */
export function one(element: XmlElement, path: string): XmlElement {
  const found = all(element, path);
  if (found.length !== 1) throw new Error(`expected one <${path}>, found ${found.length}`);
  return found[0]!;
}

/** Attributes as a plain object, in document order (Object key order is insertion order). */
export function attrs(element: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (let index = 0; index < element.attributes.length; index++) {
    const attribute = element.attributes.item(index)!;
    out[attribute.name] = attribute.value;
  }
  return out;
}

/**
 * Decodes XML character data in one pass, strictly: the five predefined entities and numeric
 * references, nothing else ("&" followed by anything else, or a bare "<", throws). Used for
 * hostile names because xmlbuilder2's own reader decodes twice ("&amp;#38;" -> "&") and its DOM
 * parser leaves "&quot;" in attributes: neither can judge escaping.
 */
export function decodeXmlText(raw: string): string {
  if (/</.test(raw)) throw new Error(`raw "<" in character data: ${raw}`);
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return raw.replace(/&([^;]{0,10});?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw new Error(`unterminated reference ${whole} in ${raw}`);
    if (body in named) return named[body]!;
    const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(body);
    if (numeric) return String.fromCodePoint(parseInt(numeric[1] ?? numeric[2]!, numeric[1] ? 16 : 10));
    throw new Error(`undefined entity &${body}; in ${raw}`);
  });
}

/** The raw (still escaped) text of every `<tag>...</tag>` in the serialized XML. */
export function rawElementTexts(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((match) => match[1]!);
}

/** The raw (still escaped) values of every `name="..."` attribute on `<tag ...>` elements. */
export function rawAttributeValues(xml: string, tag: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}\\b[^>]*\\s${name}="([^"]*)"`, 'g'))].map((match) => match[1]!);
}
