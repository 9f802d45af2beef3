import createDOMPurify from 'dompurify';

/**
 * The composer's rich text: only what its toolbar makes (paragraphs, line breaks, bold,
 * italic, underline, lists, links, quotes). Pasted or restored HTML is cut down to that
 * before it enters the editor, so nothing active (scripts, handlers, remote loads) ever runs
 * in the app's own document.
 */
const ALLOWED_TAGS = ['p', 'div', 'br', 'b', 'strong', 'i', 'em', 'u', 'ul', 'ol', 'li', 'a', 'blockquote', 'span'];
const ALLOWED_ATTR = ['href'];

let purify: ReturnType<typeof createDOMPurify> | undefined;

export function sanitizeEditorHtml(html: string): string {
  purify ??= createDOMPurify(window);
  return purify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    RETURN_TRUSTED_TYPE: false,
  });
}

/** Whether the editor's HTML has any formatting; plain text goes out as text/plain only. */
export function hasFormatting(html: string): boolean {
  return /<(b|strong|i|em|u|ul|ol|li|a|blockquote)\b/i.test(html);
}

/** The signature block and the quote's start (respond.ts): found again to switch signatures. */
const SIGNATURE = 'data-petrel-signature';
const QUOTE = 'data-petrel-quote';

/**
 * Puts `signatureHtml` (one signature block, or '' for none) in place of the editor's current
 * signature: replaced where it is, or, when there was none, added above the quote (or at the
 * end). Signatures never stack.
 */
export function replaceSignature(root: HTMLElement, signatureHtml: string): void {
  const holder = document.createElement('div');
  holder.innerHTML = sanitizeEditorHtml(signatureHtml);
  const next = holder.firstElementChild;
  const old = root.querySelector(`[${SIGNATURE}]`);
  if (old) {
    if (next) old.replaceWith(next);
    else old.remove();
    return;
  }
  if (!next) return;
  const quote = root.querySelector(`[${QUOTE}]`);
  if (quote) quote.before(next);
  else root.append(next);
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Plain text as editor HTML (one div per line, as contentEditable makes them). */
export function textToHtml(text: string): string {
  if (!text) return '';
  return text
    .split(/\r?\n/)
    .map((line) => `<div>${line ? escape(line) : '<br>'}</div>`)
    .join('');
}

const BLOCKS = new Set(['DIV', 'P', 'LI', 'UL', 'OL', 'BLOCKQUOTE']);

/** The text people see in the editor: blocks and <br> as line breaks, list items with "- ". */
export function editorText(root: Node): string {
  let out = '';
  const newline = () => {
    if (out.length > 0 && !out.endsWith('\n')) out += '\n';
  };
  const walk = (node: Node, depth: number) => {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === 3) {
        out += (child.textContent ?? '').replace(/\u00a0/g, ' ');
        continue;
      }
      if (child.nodeType !== 1) continue;
      const el = child as Element;
      if (el.tagName === 'BR') {
        out += '\n';
        continue;
      }
      const block = BLOCKS.has(el.tagName);
      if (block) newline();
      if (el.tagName === 'LI') {
        const ordered = el.parentElement?.tagName === 'OL';
        const index = Array.from(el.parentElement?.children ?? []).indexOf(el) + 1;
        out += `${'  '.repeat(Math.max(0, depth - 1))}${ordered ? `${index}. ` : '- '}`;
      }
      walk(el, el.tagName === 'UL' || el.tagName === 'OL' ? depth + 1 : depth);
      if (block) newline();
    }
  };
  walk(root, 0);
  return out.replace(/\n+$/, '');
}
