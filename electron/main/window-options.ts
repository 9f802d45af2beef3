import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/**
 * The renderer's web preferences: a plain web page in Chromium's sandbox, with no Node,
 * no <webview>, and same-origin rules on. The only door to the engine is the preload's
 * one validated pipe. Kept free of Electron values so a unit test pins every flag.
 */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    // The preload runs in its own JS world: the page cannot reach its ipcRenderer.
    contextIsolation: true,
    // OS-level sandbox for the renderer process; the preload gets only a tiny API.
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    enableWebSQL: false,
    // Dropping a file on the window must not navigate it away from the app.
    navigateOnDragDrop: false,
    // A page that spams alert() gets a "prevent more dialogs" checkbox.
    safeDialogs: true,
    spellcheck: true,
  };
}

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 640,
    minHeight: 400,
    title: 'Petrel',
    // Shown on 'ready-to-show', so the window never flashes blank.
    show: false,
    webPreferences: secureWebPreferences(preloadPath),
  };
}
