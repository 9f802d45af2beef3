/**
 * A deliberately small XML parser for autoconfig documents, which come from servers we do
 * not control. It knows elements, attributes, text, CDATA, comments and processing
 * instructions, and nothing else: any DOCTYPE or other declaration is refused outright, so
 * there is no DTD, no external entity and no entity expansion beyond the five predefined
 * ones and numeric character references. Input size and nesting depth are capped.
 */
export interface XmlElement {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** Character data directly inside this element (text and CDATA), decoded. */
  text: string;
}

export class XmlError extends Error {
  override readonly name = 'XmlError';
}

export const MAX_XML_CHARS = 256 * 1024;
const MAX_DEPTH = 64;

const NAME = /[\p{L}_][\p{L}\p{N}_.:-]*/uy;
const WS = /[ \t\r\n]*/y;
const ENTITY = /&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/y;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(input: string, maxChars = MAX_XML_CHARS): XmlElement {
  if (input.length > maxChars) throw new XmlError(`document larger than ${maxChars} characters`);
  let i = input.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte order mark
  let root: XmlElement | null = null;
  const stack: XmlElement[] = [];

  const fail = (why: string): never => {
    throw new XmlError(`${why} at offset ${i}`);
  };
  const skipTo = (end: string): void => {
    const at = input.indexOf(end, i);
    if (at < 0) fail(`missing "${end}"`);
    i = at + end.length;
  };
  const skipWs = (): void => {
    WS.lastIndex = i;
    WS.test(input);
    i = WS.lastIndex;
  };
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(input);
    if (!m) return fail('expected a name');
    i = NAME.lastIndex;
    return m[0];
  };

  while (i < input.length) {
    const top = stack.at(-1);
    if (input[i] !== '<') {
      const end = input.indexOf('<', i);
      const raw = input.slice(i, end < 0 ? undefined : end);
      if (top) top.text += decodeText(raw, i);
      else if (raw.trim() !== '') fail('text outside the root element');
      i = end < 0 ? input.length : end;
    } else if (input.startsWith('<?', i)) {
      skipTo('?>');
    } else if (input.startsWith('<!--', i)) {
      skipTo('-->');
    } else if (input.startsWith('<![CDATA[', i)) {
      if (!top) fail('CDATA outside the root element');
      const start = i + 9;
      skipTo(']]>');
      top!.text += input.slice(start, i - 3);
    } else if (input.startsWith('<!', i)) {
      fail('DOCTYPE and other declarations are not accepted');
    } else if (input.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipWs();
      if (input[i] !== '>') fail('malformed end tag');
      i++;
      if (!top || top.name !== name) fail(`unexpected </${name}>`);
      stack.pop();
    } else {
      i++;
      const name = readName();
      const attrs = new Map<string, string>();
      for (;;) {
        const before = i;
        skipWs();
        if (input.startsWith('/>', i) || input[i] === '>') break;
        if (i === before) fail('expected whitespace before an attribute');
        const attr = readName();
        skipWs();
        if (input[i] !== '=') fail('expected "="');
        i++;
        skipWs();
        const quote = input[i];
        if (quote !== '"' && quote !== "'") return fail('expected a quoted attribute value');
        const end = input.indexOf(quote, i + 1);
        if (end < 0) fail('unterminated attribute value');
        const raw = input.slice(i + 1, end);
        if (raw.includes('<')) fail('"<" in an attribute value');
        if (attrs.has(attr)) fail(`duplicate attribute ${attr}`);
        attrs.set(attr, decodeText(raw, i + 1));
        i = end + 1;
      }
      const selfClosing = input[i] === '/';
      i += selfClosing ? 2 : 1;
      const el: XmlElement = { name, attrs, children: [], text: '' };
      if (top) top.children.push(el);
      else if (root) fail('more than one root element');
      else root = el;
      if (!selfClosing) stack.push(el);
      if (stack.length > MAX_DEPTH) fail('elements nested too deeply');
    }
  }
  if (stack.length > 0) throw new XmlError(`<${stack.at(-1)!.name}> is never closed`);
  if (!root) throw new XmlError('no root element');
  return root;
}

function decodeText(raw: string, offset: number): string {
  if (!raw.includes('&')) return raw;
  let out = '';
  let last = 0;
  for (let at = raw.indexOf('&'); at >= 0; at = raw.indexOf('&', last)) {
    ENTITY.lastIndex = at;
    const m = ENTITY.exec(raw);
    if (!m) throw new XmlError(`unknown or malformed entity at offset ${offset + at}`);
    let ch: string;
    if (m[3] !== undefined) ch = PREDEFINED[m[3]]!;
    else {
      const cp = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
      // XML's Char production: tab, newlines and everything printable, no surrogates.
      const ok = cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff));
      if (!ok || cp === 0xfffe || cp === 0xffff) {
        throw new XmlError(`invalid character reference at offset ${offset + at}`);
      }
      ch = String.fromCodePoint(cp);
    }
    out += raw.slice(last, at) + ch;
    last = ENTITY.lastIndex;
  }
  return out + raw.slice(last);
}

/** The direct children named name. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The trimmed text of the first direct child named name, or undefined. */
export function childText(el: XmlElement, name: string): string | undefined {
  return el.children.find((c) => c.name === name)?.text.trim();
}
