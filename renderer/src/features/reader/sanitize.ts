import createDOMPurify, { type Config, type DOMPurify } from 'dompurify';
import { isLocalImageUrl, isRemoteUrl, sanitizeCss, type CssOptions } from './css-sanitize';

/**
 * Mail HTML, made safe to show. A crafted message must never run code (no scripts, event
 * handlers, javascript: URLs, plugins, frames, forms) nor report back to its sender (no
 * remote loads until the person allows them, then only images, and never tracking pixels).
 *
 * DOMPurify with an allowlist does the structural work; hooks rewrite what it lets through:
 * image sources, links and CSS. The result is shown in a sandboxed, script-less frame under
 * its own CSP (MessageFrame), so each of these layers is backed by another.
 */

export interface SanitizeOptions {
  /** Load remote images (`<img src>`/`srcset` over http/https). Never CSS, fonts or media. */
  allowRemote: boolean;
  /** contentId -> the local blob: or data:image URL of an inline part (cid: images). */
  cidUrls: ReadonlyMap<string, string>;
  /**
   * Remote image URL -> the data:image URL the engine fetched for it. With allowRemote, an
   * image shows only through this map: the frame's CSP never lets the network in.
   */
  remoteImages?: ReadonlyMap<string, string>;
}

export interface SanitizedHtml {
  html: string;
  /**
   * Remote images blocked now that allowing remote content would load: the count the
   * "blocked N remote images" bar shows. Always 0 with allowRemote.
   */
  blockedRemote: number;
  /** Remote images recognized as tracking pixels: never loaded, whatever allowRemote says. */
  trackers: number;
  /**
   * Remote loads blocked whatever allowRemote says: stylesheets, CSS url()/@import (fonts,
   * backgrounds), `background` attributes, frames, plugins and media.
   */
  blockedAlways: number;
  /** The remote image URLs (not trackers) this message shows once allowed: what to fetch. */
  remoteImageUrls: string[];
}

/** Marks on rewritten images, for the frame's styles and for tests. */
export const BLOCKED_ATTR = 'data-petrel-blocked';
export const TRACKER_ATTR = 'data-petrel-tracker';
export const MISSING_CID_ATTR = 'data-petrel-missing-cid';

const ALLOWED_TAGS = [
  'a', 'abbr', 'acronym', 'address', 'area', 'article', 'aside', 'b', 'bdi', 'bdo', 'big', 'blockquote',
  'body', 'br', 'caption', 'center', 'cite', 'code', 'col', 'colgroup', 'data', 'dd', 'del', 'details', 'dfn',
  'dir', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'head', 'header', 'hgroup', 'hr', 'html', 'i', 'img', 'ins', 'kbd', 'li', 'main', 'map', 'mark', 'nav',
  'nobr', 'ol', 'p', 'picture', 'pre', 'q', 'rp', 'rt', 'ruby', 's', 'samp', 'section', 'small', 'span',
  'strike', 'strong', 'style', 'sub', 'summary', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead',
  'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
];

const ALLOWED_ATTR = [
  'align', 'alt', 'background', 'bgcolor', 'border', 'cellpadding', 'cellspacing', 'cite', 'class', 'clear',
  'color', 'cols', 'colspan', 'coords', 'datetime', 'dir', 'face', 'headers', 'height', 'href', 'hreflang',
  'hspace', 'id', 'lang', 'name', 'noshade', 'nowrap', 'open', 'reversed', 'role', 'rowspan', 'rules',
  'scope', 'shape', 'size', 'sizes', 'span', 'src', 'srcset', 'start', 'style', 'summary', 'text', 'title', 'type',
  'usemap', 'valign', 'vspace', 'width',
];

/**
 * Named even though the allowlist already leaves them out, so that no later edit of the
 * lists can let them back in (FORBID wins over ALLOWED in DOMPurify).
 */
const FORBID_TAGS = [
  'script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form', 'input', 'button', 'select',
  'option', 'optgroup', 'textarea', 'datalist', 'output', 'base', 'meta', 'link', 'svg', 'math', 'audio',
  'video', 'source', 'track', 'portal', 'fencedframe', 'template', 'noscript', 'dialog', 'canvas', 'title',
];
const FORBID_ATTR = ['action', 'formaction', 'ping', 'download', 'target', 'rel', 'srcdoc', 'poster', 'manifest'];

/** Scheme-less values (sizes, colors, names) or one of these schemes: nothing else survives. */
const ALLOWED_URI_REGEXP = /^(?:(?:https?|mailto|cid):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;

const ELEMENT_NODE = 1;
const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * Hosts of well-known open-tracking services (the host or any subdomain). Deliberately
 * tiny: the size heuristics catch most pixels; this catches the ones that lie about size.
 */
const TRACKER_HOSTS = [
  'list-manage.com',
  'mailtrack.io',
  'mltrk.io',
  'mandrillapp.com',
  'sendgrid.net',
  'yesware.com',
  'mixmax.com',
  'getnotify.com',
  'bananatag.com',
];

const CONFIG = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  FORBID_TAGS,
  FORBID_ATTR,
  ALLOWED_URI_REGEXP,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: true,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  // Keep the text of removed wrappers (unknown tags), never their markup.
  KEEP_CONTENT: true,
  WHOLE_DOCUMENT: true,
  RETURN_DOM: true,
} satisfies Config;

interface Run {
  opts: SanitizeOptions;
  result: SanitizedHtml;
  css: CssOptions;
}

/** Elements that are removed anyway but would have loaded something: counted, not kept. */
const ALWAYS_BLOCKED_SOURCES: Record<string, readonly string[] | undefined> = {
  link: ['href'],
  script: ['src'],
  iframe: ['src'],
  frame: ['src'],
  embed: ['src'],
  object: ['data'],
  video: ['src', 'poster'],
  audio: ['src'],
  source: ['src', 'srcset'],
  input: ['src'],
};

let purifier: DOMPurify | undefined;
/** The options of the sanitize call in progress (hooks run synchronously inside it). */
let run: Run | undefined;

function current(): Run {
  if (!run) throw new Error('sanitize hook outside sanitizeMessageHtml');
  return run;
}

function getPurifier(): DOMPurify {
  if (purifier) return purifier;
  const p = createDOMPurify(window);
  if (!p.isSupported) throw new Error('HTML sanitizing is not supported here: mail HTML cannot be shown.');
  p.addHook('uponSanitizeElement', (node, data) => {
    const r = current();
    const tag = data.tagName;
    if (tag === 'style') {
      // Before DOMPurify looks at the text: the rewrite only ever removes loads.
      node.textContent = sanitizeCss(node.textContent ?? '', r.css);
    } else if (ALWAYS_BLOCKED_SOURCES[tag] && node.nodeType === ELEMENT_NODE) {
      for (const attr of ALWAYS_BLOCKED_SOURCES[tag]) {
        const v = (node as Element).getAttribute(attr);
        if (v !== null && isRemoteUrl(v)) r.result.blockedAlways++;
      }
    }
  });
  p.addHook('uponSanitizeAttribute', (_node, data) => {
    if (data.attrName === 'style') data.attrValue = sanitizeCss(data.attrValue, current().css);
  });
  p.addHook('afterSanitizeAttributes', (node) => {
    const r = current();
    if (node.hasAttribute('background')) rewriteBackground(node, r);
    const tag = node.nodeName.toLowerCase();
    if (tag === 'img') rewriteImage(node, r);
    else if (tag === 'a' || tag === 'area') rewriteLink(node);
  });
  purifier = p;
  return p;
}

function resolveCid(cidUrls: ReadonlyMap<string, string>, raw: string): string | null {
  let id = raw.trim();
  try {
    id = decodeURIComponent(id);
  } catch {
    // Not percent-encoded after all: use it as it is.
  }
  const bare = id.replace(/^<|>$/g, '');
  const url = cidUrls.get(bare) ?? cidUrls.get(`<${bare}>`) ?? cidUrls.get(bare.toLowerCase());
  return url !== undefined && isLocalImageUrl(url) ? url : null;
}

/** A pixel: declared 0 in either dimension, at most 1x1, or hidden. */
function looksLikePixel(img: Element): boolean {
  const style = (img.getAttribute('style') ?? '').toLowerCase();
  const size = (attr: 'width' | 'height'): number | null => {
    const fromStyle = new RegExp(`(?:^|[;\\s])${attr}\\s*:\\s*(\\d+(?:\\.\\d+)?)(px)?\\s*(?:!important\\s*)?(?:;|$)`).exec(style);
    if (fromStyle?.[1] !== undefined) return Number(fromStyle[1]);
    const value = img.getAttribute(attr);
    if (value === null || !/^\s*\d+(?:\.\d+)?\s*(?:px)?\s*$/i.test(value)) return null;
    return Number.parseFloat(value);
  };
  const w = size('width');
  const h = size('height');
  if (w === 0 || h === 0) return true;
  if (w !== null && h !== null && w <= 1 && h <= 1) return true;
  return /(?:^|[;\s])(?:display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$))/.test(style);
}

function isTrackerHost(url: string): boolean {
  let host: string;
  try {
    host = new URL(url.startsWith('//') ? `https:${url}` : url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return TRACKER_HOSTS.some((t) => host === t || host.endsWith(`.${t}`));
}

/** Every candidate of a srcset is an absolute http(s) URL (a strict subset of the syntax). */
function isRemoteOnlySrcset(srcset: string): boolean {
  return /^\s*https?:\/\/[^\s,]+(?:\s+\d+(?:\.\d+)?[wx])?(?:\s*,\s*https?:\/\/[^\s,]+(?:\s+\d+(?:\.\d+)?[wx])?)*\s*,?\s*$/i.test(
    srcset,
  );
}

function srcsetUrls(srcset: string): string[] {
  return srcset
    .split(/,\s+/)
    .map((c) => c.trim().split(/\s+/)[0] ?? '')
    .filter((u) => u !== '');
}

/** The image's own local source: a resolved cid: or a data:image URL. Marks a missing cid. */
function localSource(img: Element, src: string, r: Run): string | null {
  if (/^cid:/i.test(src)) {
    const local = resolveCid(r.opts.cidUrls, src.slice(4));
    if (!local) img.setAttribute(MISSING_CID_ATTR, '');
    return local;
  }
  // data:image only; data:text/html and friends, blob: and relative URLs are dropped.
  return /^data:image\//i.test(src) ? src : null;
}

function rewriteImage(img: Element, r: Run): void {
  const src = img.getAttribute('src')?.trim() ?? '';
  const srcset = img.getAttribute('srcset') ?? '';
  img.removeAttribute('src');
  img.removeAttribute('srcset');
  img.setAttribute('referrerpolicy', 'no-referrer');
  const local = localSource(img, src, r);
  const remoteSrc = isRemoteUrl(src);
  const remoteSet = srcsetUrls(srcset).filter(isRemoteUrl);
  if (!remoteSrc && remoteSet.length === 0) {
    if (local) img.setAttribute('src', local);
    return;
  }
  if (looksLikePixel(img) || [...(remoteSrc ? [src] : []), ...remoteSet].some(isTrackerHost)) {
    // Never loaded, whatever the person allowed: a pixel shows nothing but tells the sender.
    img.setAttribute(TRACKER_ATTR, '');
    r.result.trackers++;
    return;
  }
  // One URL per image: the src, else the first srcset candidate (the engine fetches it).
  const wanted = remoteSrc ? (src.startsWith('//') ? `https:${src}` : src) : isRemoteOnlySrcset(srcset) ? remoteSet[0] : undefined;
  if (wanted) r.result.remoteImageUrls.push(wanted);
  const fetched = wanted ? r.opts.remoteImages?.get(wanted) : undefined;
  if (!r.opts.allowRemote || !fetched || !/^data:image\//i.test(fetched)) {
    // Dimensions and alt stay, so the layout holds and the person sees what is missing.
    img.setAttribute(BLOCKED_ATTR, r.opts.allowRemote ? 'loading' : 'remote');
    if (!r.opts.allowRemote) r.result.blockedRemote++;
    if (local) img.setAttribute('src', local);
    return;
  }
  img.setAttribute('src', fetched);
}

function rewriteBackground(el: Element, r: Run): void {
  const value = el.getAttribute('background')?.trim() ?? '';
  el.removeAttribute('background');
  if (/^cid:/i.test(value)) {
    const local = resolveCid(r.opts.cidUrls, value.slice(4));
    if (local) el.setAttribute('background', local);
  } else if (isRemoteUrl(value)) {
    r.result.blockedAlways++;
  }
}

/** The link's target if it may be followed (http, https, mailto), normalized; else null. */
export function safeLinkTarget(href: string): string | null {
  let url: URL;
  try {
    url = new URL(href.trim());
  } catch {
    return null;
  }
  return LINK_PROTOCOLS.has(url.protocol) ? url.href : null;
}

function rewriteLink(a: Element): void {
  const href = a.getAttribute('href');
  if (href === null) return;
  const target = safeLinkTarget(href);
  if (target === null) {
    a.removeAttribute('href');
    return;
  }
  a.setAttribute('href', target);
  a.setAttribute('target', '_blank');
  a.setAttribute('rel', 'noopener noreferrer');
  // The real destination on hover, whatever the link text (or the mail's own title) claims.
  a.setAttribute('title', target.startsWith('mailto:') ? target.slice('mailto:'.length) : target);
}

/** `<body bgcolor>`/`text`/`style`, kept on a wrapper since the frame has its own body. */
function bodyStyle(body: Element): string {
  const parts: string[] = [];
  const color = (v: string | null) => (v !== null && /^#?[0-9a-z]{1,20}$/i.test(v.trim()) ? v.trim() : null);
  const bg = color(body.getAttribute('bgcolor'));
  if (bg) parts.push(`background-color:${bg}`);
  const text = color(body.getAttribute('text'));
  if (text) parts.push(`color:${text}`);
  // Only a local URL survives rewriteBackground, and isLocalImageUrl admits no quote.
  const background = body.getAttribute('background');
  if (background && isLocalImageUrl(background)) parts.push(`background-image:url("${background}")`);
  const style = body.getAttribute('style')?.trim();
  if (style) parts.push(style);
  return parts.join(';');
}

export function sanitizeMessageHtml(html: string, opts: SanitizeOptions): SanitizedHtml {
  const p = getPurifier();
  const result: SanitizedHtml = { html: '', blockedRemote: 0, trackers: 0, blockedAlways: 0, remoteImageUrls: [] };
  const counts = { remote: 0 };
  const resolve = (cid: string) => resolveCid(opts.cidUrls, cid);
  run = { opts, result, css: { resolveCid: resolve, counts } };
  let root: Node;
  try {
    root = p.sanitize(html, CONFIG);
  } finally {
    run = undefined;
  }
  result.blockedAlways += counts.remote;
  if (!(root instanceof Element)) return result;

  const doc = root.ownerDocument;
  const parts: string[] = [];
  // Styles of the mail's <head>: they apply to the whole message.
  for (const style of root.querySelectorAll('head style')) parts.push(style.outerHTML);
  const body = root.querySelector('body');
  if (body) {
    const style = bodyStyle(body);
    if (style) {
      const wrapper = doc.createElement('div');
      wrapper.setAttribute('data-petrel-body', '');
      wrapper.setAttribute('style', style);
      wrapper.append(...body.childNodes);
      parts.push(wrapper.outerHTML);
    } else {
      parts.push(body.innerHTML);
    }
  }
  result.html = parts.join('');
  return result;
}
