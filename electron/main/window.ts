import { app, BrowserWindow, protocol, session, shell, type WebContents } from 'electron';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../core/log';
import { originOf } from '../transports/sender-check';
import { APP_SCHEME, mimeTypeFor, resolveAppFile } from './app-protocol';
import { normalizeExternalUrl } from './external-links';
import { mainWindowOptions } from './window-options';

/** Must run before `app` is ready: privileges can only be granted at startup. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    // standard: real origin and relative URLs; secure: a secure context (like https).
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves the built renderer on app://petrel/, read-only, with the CSP on every response. */
export function serveRenderer(rendererDir: string, csp: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
    const file = resolveAppFile(rendererDir, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    let body: Uint8Array;
    try {
      body = new Uint8Array(await readFile(file));
    } catch {
      return new Response('Not found', { status: 404 });
    }
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: {
        'Content-Type': mimeTypeFor(file),
        'Content-Security-Policy': csp,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      },
    });
  });
}

export interface HardenOptions {
  /** The renderer's origin: app://petrel, or the dev server's. */
  appOrigin: string;
  csp: string;
  log: Logger;
}

/**
 * App-wide hardening, once, after `ready` and before any window: no permissions, our
 * CSP on every response (it also covers the dev server and workers), and navigation,
 * pop-up and <webview> rules on every WebContents ever created.
 */
export function hardenApp({ appOrigin, csp, log }: HardenOptions): void {
  const ses = session.defaultSession;
  // A mail client needs no camera, location, notifications prompt, USB, etc. Deny all,
  // both the prompt (request) and the silent query (check).
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [csp];
    callback({ responseHeaders: headers });
  });
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, appOrigin, log));
}

function guardWebContents(contents: WebContents, appOrigin: string, log: Logger): void {
  // No pop-up windows ever. A permitted link (http, https, mailto) goes to the OS.
  contents.setWindowOpenHandler(({ url }) => {
    const href = normalizeExternalUrl(url);
    if (href) {
      shell.openExternal(href).catch((e: unknown) => log.warn('could not open an external link', e));
    } else {
      log.warn('blocked a window.open', { url: url.slice(0, 200) });
    }
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log.warn('blocked a <webview>');
  });
  // DevTools and other internal contents navigate on their own terms.
  if (contents.getType() !== 'window') return;
  // The window only ever shows the app: a link or script must not turn it into a web
  // page that would then inherit the preload's pipe to the engine.
  contents.on('will-navigate', (event) => {
    if (originOf(event.url) === appOrigin) return;
    event.preventDefault();
    log.warn('blocked a navigation', { url: event.url.slice(0, 200) });
  });
  contents.on('will-redirect', (event) => {
    if (!event.isMainFrame || originOf(event.url) === appOrigin) return;
    event.preventDefault();
    log.warn('blocked a redirect', { url: event.url.slice(0, 200) });
  });
  // Iframes (mail content) may show blob:/about: documents or the app, nothing else.
  contents.on('will-frame-navigate', (event) => {
    if (event.isMainFrame) return;
    const url = event.url;
    if (url.startsWith('blob:') || url.startsWith('about:') || originOf(url) === appOrigin) return;
    event.preventDefault();
    log.warn('blocked an iframe navigation', { url: url.slice(0, 200) });
  });
}

export interface MainWindowOptions {
  preloadPath: string;
  /** app://petrel/index.html, or the dev server URL. */
  url: string;
  log: Logger;
}

export function createMainWindow({ preloadPath, url, log }: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(preloadPath));
  win.once('ready-to-show', () => win.show());
  win.loadURL(url).catch((e: unknown) => {
    log.error(`could not load the renderer from ${url}`, e);
    // An empty window says "something is wrong" better than an invisible process.
    if (!win.isDestroyed()) win.show();
  });
  return win;
}
