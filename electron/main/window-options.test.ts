import { describe, expect, it } from 'vitest';
import { mainWindowOptions, secureWebPreferences } from './window-options';

describe('secureWebPreferences', () => {
  const prefs = secureWebPreferences('/app/out/preload/preload.cjs');

  it('uses the given preload', () => {
    expect(prefs.preload).toBe('/app/out/preload/preload.cjs');
  });

  it('sets every hardening flag', () => {
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      enableWebSQL: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: true,
    });
  });

  it('turns on nothing that widens the renderer', () => {
    expect(prefs.enableBlinkFeatures).toBeUndefined();
    expect(prefs.additionalArguments).toBeUndefined();
    expect(prefs.partition).toBeUndefined();
    expect(prefs.session).toBeUndefined();
    expect(prefs.plugins).not.toBe(true);
  });

  it('is what the main window uses, hidden until ready to show', () => {
    const options = mainWindowOptions('/p.cjs');
    expect(options.webPreferences).toEqual(secureWebPreferences('/p.cjs'));
    expect(options.show).toBe(false);
  });
});
