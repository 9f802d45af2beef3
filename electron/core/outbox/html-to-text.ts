/**
 * The plain-text alternative of an HTML message: the words in reading order, paragraphs
 * and line breaks kept, lists as "- " or "1. ", links as "text (url)" when the url says
 * something the text does not. Deliberately simple: it is what a text-only reader sees of
 * the person's own message, not a renderer for arbitrary mail.
 */

const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'div', 'dl', 'dt', 'dd', 'fieldset', 'figure', 'footer', 'form',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'ul',
  'tr',
]);
const SKIP = new Set(['head', 'style', 'script', 'title', 'template', 'noscript']);

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', ndash: '–', mdash: '—', hellip: '…',
  laquo: '«', raquo: '»', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', copy: '©', reg: '®', trade: '™',
  euro: '€', pound: '£', yen: '¥', cent: '¢', middot: '·', bull: '•', times: '×', divide: '÷', deg: '°',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[body.toLowerCase()] ?? whole;
  });
}

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attrs);
  const v = m ? (m[1] ?? m[2] ?? m[3]) : undefined;
  return v === undefined ? undefined : decodeEntities(v);
}

export function htmlToText(html: string): string {
  const src = html.replace(/<!--[\s\S]*?-->/g, '').replace(/<!doctype[^>]*>/gi, '');
  const out: string[] = [];
  /** Pending line breaks, emitted before the next text (so none pile up at the end). */
  let breaks = 0;
  let pre = 0;
  let skip: string | null = null;
  const lists: { ordered: boolean; n: number }[] = [];
  const links: (string | undefined)[] = [];
  let linkText = '';
  let quote = 0;

  const brk = (n: number) => {
    if (out.length > 0) breaks = Math.max(breaks, n);
  };
  const emit = (text: string) => {
    if (!text) return;
    if (breaks > 0) {
      out.push('\n'.repeat(breaks));
      breaks = 0;
      if (quote > 0) out.push('> '.repeat(quote));
    } else if (out.length === 0 && quote > 0) {
      out.push('> '.repeat(quote));
    }
    out.push(text);
    if (links.length > 0) linkText += text;
  };

  const token = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|([^<]+)|</g;
  for (let m = token.exec(src); m; m = token.exec(src)) {
    const [whole, close, rawName, attrs = '', text] = m;
    if (text !== undefined || rawName === undefined) {
      if (skip) continue;
      let t = decodeEntities(text ?? whole);
      if (pre === 0) {
        t = t.replace(/[ \t\r\n\f]+/g, ' ');
        // Collapse a space at the start of a line.
        const last = out[out.length - 1];
        if (breaks > 0 || out.length === 0 || last?.endsWith(' ') || last?.endsWith('\n')) t = t.replace(/^ /, '');
      }
      emit(t.replace(/\u00a0/g, ' '));
      continue;
    }
    const name = rawName.toLowerCase();
    if (skip) {
      if (close && name === skip) skip = null;
      continue;
    }
    if (SKIP.has(name) && !close) {
      if (!/\/\s*$/.test(attrs)) skip = name;
      continue;
    }
    if (name === 'br') {
      if (out.length > 0) {
        out.push('\n');
        if (quote > 0) out.push('> '.repeat(quote));
      }
      continue;
    }
    if (name === 'li') {
      if (close) {
        brk(1);
        continue;
      }
      brk(1);
      const list = lists[lists.length - 1];
      const indent = '  '.repeat(Math.max(0, lists.length - 1));
      if (list?.ordered) emit(`${indent}${++list.n}. `);
      else emit(`${indent}- `);
      continue;
    }
    if (name === 'ul' || name === 'ol') {
      if (close) {
        lists.pop();
        brk(lists.length > 0 ? 1 : 2);
      } else {
        brk(lists.length > 0 ? 1 : 2);
        const start = Number(attr(attrs, 'start') ?? '1');
        lists.push({ ordered: name === 'ol', n: Number.isFinite(start) ? start - 1 : 0 });
      }
      continue;
    }
    if (name === 'a') {
      if (!close) {
        links.push(attr(attrs, 'href'));
        linkText = '';
      } else if (links.length > 0) {
        const href = links.pop();
        const shown = linkText.trim();
        if (href && /^(https?:|mailto:)/i.test(href)) {
          const plain = href.replace(/^mailto:/i, '');
          if (shown !== href && shown !== plain) emit(shown ? ` (${plain})` : plain);
        }
      }
      continue;
    }
    if (name === 'pre') pre += close ? -1 : 1;
    if (name === 'blockquote') {
      brk(1);
      quote = Math.max(0, quote + (close ? -1 : 1));
      continue;
    }
    if (name === 'td' || name === 'th') {
      if (close) emit('\t');
      continue;
    }
    if (name === 'hr' && !close) {
      brk(1);
      emit('----');
      brk(1);
      continue;
    }
    if (BLOCK.has(name)) brk(name === 'p' || /^h\d$/.test(name) ? 2 : 1);
  }
  return out
    .join('')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
