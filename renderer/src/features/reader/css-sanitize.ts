/**
 * Neutralizes every way a piece of mail CSS (a `<style>` element or a `style` attribute)
 * could make the reader fetch something: `url(...)`, `@import`, and the functions that take
 * a URL as a plain string (`image-set("...")`, `src("...")`...). Mail CSS never loads
 * anything remote, not even after the person allows remote content: only `<img>` does.
 *
 * This is text rewriting, not a CSS parser, so it errs on the blocking side: whatever looks
 * like a URL function becomes `none` or an invalid function the browser drops. The frame's
 * CSP (no remote style, font or, until allowed, image sources) is the second wall.
 */

export interface CssCounts {
  /** http(s) or protocol-relative loads removed. */
  remote: number;
}

export interface CssOptions {
  /** contentId -> local blob:/data: URL, for `url(cid:...)`. */
  resolveCid: (cid: string) => string | null;
  counts: CssCounts;
}

/** Escapes that decode to a letter, digit, `-` or `_` (all that an identifier trick needs). */
const HEX_ESCAPE = /\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?/g;
const CHAR_ESCAPE = /\\([g-zG-Z_-])/g;
const IDENT_CHAR = /^[A-Za-z0-9_-]$/;
const COMMENT = /\/\*[\s\S]*?(?:\*\/|$)/g;
/** `@import` with the URL right after it (one load, counted once). */
const AT_IMPORT = /@import\b\s*(?:url\(\s*(?:"[^"\n]*"|'[^'\n]*'|[^)"'\s]*)\s*\)|"[^"\n]*"|'[^'\n]*')?/gi;
/** A url() whose end we can see: a quoted string or an unquoted run without spaces or quotes. */
const URL_FUNCTION = /\burl\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|([^)"'\s\\]*))\s*\)/gi;
/** Whatever is left that could still start a URL-taking function. */
const FETCHING_FUNCTION = /\b(url|src|image-set|-webkit-image-set|image|cross-fade|-webkit-cross-fade)\s*\(/gi;

export function isRemoteUrl(url: string): boolean {
  return /^(?:https?:)?\/\//i.test(url.trim());
}

/**
 * CSS identifiers may be written with escapes (`\75 rl(` is `url(`); decode those that turn
 * into identifier characters so the patterns below see through them. Others (quotes, `<`,
 * `}`) stay escaped: decoding them could change the structure.
 */
function decodeIdentEscapes(css: string): string {
  return css
    .replace(HEX_ESCAPE, (whole, hex: string) => {
      const cp = Number.parseInt(hex, 16);
      const ch = cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      return IDENT_CHAR.test(ch) ? ch : whole;
    })
    .replace(CHAR_ESCAPE, (_whole, ch: string) => ch);
}

/** A local URL we made ourselves: the only kind a resolved cid may become. */
export function isLocalImageUrl(url: string): boolean {
  return /^(?:blob:[^\s"'()\\<>]+|data:image\/[^\s"'()\\<>]+)$/i.test(url);
}

function rewriteUrl(target: string, opts: CssOptions): string {
  const url = target.trim();
  if (/^data:image\//i.test(url) && !/["'()\\\s<>]/.test(url)) return `url("${url}")`;
  if (url.startsWith('#') && /^#[\w-]*$/.test(url)) return `url("${url}")`;
  if (/^cid:/i.test(url)) {
    const local = opts.resolveCid(url.slice(4));
    if (local) return `url("${local}")`;
    return 'none';
  }
  if (isRemoteUrl(url)) opts.counts.remote++;
  return 'none';
}

export function sanitizeCss(css: string, opts: CssOptions): string {
  if (css === '') return css;
  // NUL is U+FFFD to CSS anyway; dropping it frees the character for the placeholders below.
  let out = decodeIdentEscapes(css.replaceAll('\0', '\uFFFD')).replace(COMMENT, ' ');
  // An unknown at-rule is dropped by the browser up to its `;` or block, strings included.
  out = out.replace(AT_IMPORT, () => {
    opts.counts.remote++;
    return '@petrel-blocked-import';
  });
  const kept: string[] = [];
  out = out.replace(URL_FUNCTION, (_whole, dq?: string, sq?: string, bare?: string) => {
    const rewritten = rewriteUrl(dq ?? sq ?? bare ?? '', opts);
    if (rewritten === 'none') return rewritten;
    kept.push(rewritten);
    return `\0${kept.length - 1}\0`;
  });
  // Anything still looking like a fetching function (string arguments, an unterminated
  // url(...)) becomes an unknown function: the declaration holding it is invalid and dropped.
  out = out.replace(FETCHING_FUNCTION, (_whole, name: string) => `petrel-blocked-${name.toLowerCase()}(`);
  out = out.replace(/\0(\d+)\0/g, (_whole, i: string) => kept[Number(i)] ?? 'none');
  // `<` has no use in CSS outside strings, where `\3c ` means the same. Escaping it means no
  // rewrite above (say `</\73 tyle>` decoded) can ever close the <style> element it sits in.
  return out.replaceAll('<', '\\3c ');
}
