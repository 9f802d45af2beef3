/**
 * The Electron app, loaded by main.ts (built to out/main/, ESM). A thin shell: it owns the app
 * lifecycle and the window; everything mail-related is the Engine (plain Node), served
 * over the same RPC contract as the Node host.
 */
import { app, BrowserWindow, dialog, powerMonitor } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRpcServer, Engine } from '../core/engine';
import { createLogger } from '../core/log';
import { installProcessGuards } from '../core/process-guards';
import { FileSecretStore } from '../core/secrets/secret-store';
import { safeStorageCodec } from './safe-storage-codec';
import { serveElectronIpc } from '../transports/electron-ipc-main';
import { APP_ORIGIN, APP_START_URL, parseDevRendererUrl } from './app-protocol';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicy } from './csp';
import { createMainWindow, hardenApp, registerAppScheme, serveRenderer } from './window';

// Built layout: out/main/main.js, out/preload/preload.cjs, out/renderer/index.html.
const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const preloadPath = path.join(outDir, 'preload', 'preload.cjs');
const rendererDir = path.join(outDir, 'renderer');

/** How long quitting waits for the engine to close its connections. */
const ENGINE_CLOSE_TIMEOUT_MS = 5_000;

const log = createLogger('main');
// Instead of Electron's own dialog, which shows the person a stack trace.
installProcessGuards(process, log, () => {
  dialog.showErrorBox(
    'Petrel has to close',
    'Petrel ran into an internal error and must close. Your mail and unsent messages are kept; open Petrel again to go on. The details were written to the log.',
  );
  app.exit(1);
});

// Development: load the Vite dev server instead. Never in a packaged app, where an
// environment variable must not be able to swap the code that holds the pipe.
const devUrl = app.isPackaged ? undefined : parseDevRendererUrl(process.env.PETREL_RENDERER_URL);
if (process.env.PETREL_RENDERER_URL && !devUrl) {
  log.warn('ignoring PETREL_RENDERER_URL: only http://localhost or http://127.0.0.1 in an unpackaged app');
}
const appOrigin = devUrl ? devUrl.origin : APP_ORIGIN;
const startUrl = devUrl ? devUrl.href : APP_START_URL;
const csp = devUrl
  ? // Vite's HMR socket and React refresh's inline preamble; dev only.
    contentSecurityPolicy({ connectSrc: [`ws://${devUrl.host}`], scriptSrc: ["'unsafe-inline'"] })
  : CONTENT_SECURITY_POLICY;

// Every renderer sandboxed, whatever its webPreferences say. Both calls must precede 'ready'.
app.enableSandbox();
registerAppScheme();

// One Petrel per profile: two engines would fight over the same data directory.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start().catch((e: unknown) => {
    log.error('Petrel failed to start', e);
    app.exit(1);
  });
}

async function start(): Promise<void> {
  // macOS apps stay alive without windows; elsewhere closing the last window quits.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  await app.whenReady();
  if (process.platform === 'win32') app.setAppUserModelId('org.petrel.mail');

  const dataDir = app.getPath('userData');
  const engine = new Engine({
    dataDir,
    version: app.getVersion(),
    secrets: new FileSecretStore(dataDir, safeStorageCodec(), log.child('secrets')),
  });
  const server = createRpcServer(engine, 'electron');
  // Logged in by the time the window asks to resume (it reads its cache first).
  void engine.sync.preconnect();
  const ipc = serveElectronIpc({
    allowedOrigins: [appOrigin],
    onTransport: (transport) => server.attach(transport),
    log: engine.log.child('ipc'),
  });
  hardenApp({ appOrigin, csp, log });
  // After sleep the mail sockets are dead without knowing it: reconnect at once.
  powerMonitor.on('resume', () => engine.sync.networkChanged());
  powerMonitor.on('unlock-screen', () => engine.sync.networkChanged());
  if (!devUrl) serveRenderer(rendererDir, csp);

  let mainWindow: BrowserWindow | undefined;
  let shutdown: 'running' | 'closing' | 'closed' = 'running';

  const openWindow = () => {
    const win = createMainWindow({ preloadPath, url: startUrl, log });
    ipc.register(win.webContents);
    win.on('closed', () => {
      if (mainWindow === win) mainWindow = undefined;
    });
    mainWindow = win;
  };

  app.on('second-instance', () => {
    if (shutdown !== 'running') return;
    if (!mainWindow) return openWindow();
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  app.on('activate', () => {
    if (shutdown === 'running' && BrowserWindow.getAllWindows().length === 0) openWindow();
  });

  // 'will-quit' comes after every window closed, so no renderer is mid-call. Electron
  // does not await listeners: hold the quit, close the engine, then quit for real.
  app.on('will-quit', (event) => {
    if (shutdown === 'closed') return;
    event.preventDefault();
    if (shutdown === 'closing') return;
    shutdown = 'closing';
    ipc.dispose();
    void withTimeout(engine.close(), ENGINE_CLOSE_TIMEOUT_MS)
      .catch((e: unknown) => log.error('the engine did not close cleanly', e))
      .finally(() => {
        shutdown = 'closed';
        app.quit();
      });
  });

  // Ctrl+C / kill in development: quit through the same path so the engine closes.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => app.quit());

  openWindow();
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
