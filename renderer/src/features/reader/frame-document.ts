/**
 * The document a message frame shows: sanitized mail HTML under its own strict CSP.
 * No script-src at all (default-src 'none' covers it), so even markup the sanitizer missed
 * cannot run; images only from data:/blob: URLs we made (remote ones fetched by the engine).
 */

export const FRAME_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';

export function frameCsp(): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    // Remote images arrive as data: URLs fetched by the engine: the network stays out.
    'img-src data: blob:',
    'font-src data:',
    "media-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * The reader's own styles, before the mail's (which may override them). Mail is not
 * inverted for dark mode: it gets the white page it was designed on, like in most clients.
 */
const BASE_STYLE = `
:root { color-scheme: light; background: #ffffff; color: #1b1f24; }
body { margin: 0; padding: 16px 20px; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  overflow-wrap: break-word; }
img { max-width: 100%; }
img:not([data-petrel-blocked]):not([data-petrel-missing-cid]) { height: auto; }
/* Not loaded: a box of the declared size (height: auto would lose it), showing the alt text. */
img[data-petrel-blocked], img[data-petrel-missing-cid] { display: inline-block; background: #eef1f5; outline: 1px dashed #c3cad3; outline-offset: -1px; }
img[data-petrel-tracker] { display: none !important; }
pre { white-space: pre-wrap; }
blockquote { margin-left: 0.5em; padding-left: 0.75em; border-left: 3px solid #d9dee5; }
`;

/** The srcdoc of a frame showing already sanitized HTML. The CSP comes first in <head>. */
export function frameDocument(sanitizedHtml: string): string {
  return (
    '<!doctype html><html><head>' +
    `<meta http-equiv="Content-Security-Policy" content="${frameCsp()}">` +
    '<meta name="referrer" content="no-referrer">' +
    '<meta name="color-scheme" content="light">' +
    `<style>${BASE_STYLE}</style>` +
    `</head><body>${sanitizedHtml}</body></html>`
  );
}
