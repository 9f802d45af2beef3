import path from 'node:path';

/**
 * The production renderer is served from `app://petrel/`, a privileged custom scheme
 * (standard + secure), instead of `file://`: it gets a real origin for CSP 'self' and
 * the sender check, web APIs that need a secure context, and no file:// privileges.
 * Pure helpers (no Electron import) so they are unit tested.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'petrel';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

/**
 * Maps an `app://petrel/...` request to a file inside `rootDir`, or undefined when it
 * must not be served (wrong host, traversal, encoded separators, drive letters...).
 * Paths without a file extension get index.html, so client-side routes survive reload.
 */
export function resolveAppFile(rootDir: string, requestUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return undefined;
  let segments: string[];
  try {
    // Decode per segment: an encoded `/` or `\` inside a segment is refused below.
    segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  if (segments.some((s) => s === '.' || s === '..' || /[/\\:\0]/.test(s))) return undefined;
  const last = segments.at(-1);
  if (last === undefined || path.posix.extname(last) === '') segments = ['index.html'];
  const root = path.resolve(rootDir);
  const file = path.resolve(root, ...segments);
  const relative = path.relative(root, file);
  // Belt and braces: whatever the checks above missed, never leave the renderer dir.
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return file;
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Content type by extension; module scripts are refused unless it is a JS type. */
export function mimeTypeFor(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The development renderer URL (a Vite dev server) from PETREL_RENDERER_URL, only if
 * it is plain http on this machine: anything else could hand the engine to a remote page.
 */
export function parseDevRendererUrl(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:') return undefined;
  if (url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return url;
}
