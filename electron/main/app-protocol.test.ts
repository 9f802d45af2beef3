import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, APP_START_URL, mimeTypeFor, parseDevRendererUrl, resolveAppFile } from './app-protocol';

const root = path.resolve('/srv/petrel/out/renderer');

describe('resolveAppFile', () => {
  it('serves files inside the renderer directory', () => {
    expect(resolveAppFile(root, APP_START_URL)).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile(root, `${APP_ORIGIN}/assets/index-abc.js`)).toBe(path.join(root, 'assets', 'index-abc.js'));
    expect(resolveAppFile(root, `${APP_ORIGIN}/assets/my%20font.woff2?v=1#x`)).toBe(
      path.join(root, 'assets', 'my font.woff2'),
    );
  });

  it('serves index.html for the root and for client-side routes', () => {
    expect(resolveAppFile(root, `${APP_ORIGIN}/`)).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile(root, APP_ORIGIN)).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile(root, `${APP_ORIGIN}/mail/inbox`)).toBe(path.join(root, 'index.html'));
  });

  it.each([
    `${APP_ORIGIN}/../../etc/passwd`,
    `${APP_ORIGIN}/%2e%2e/%2e%2e/etc/passwd`,
    `${APP_ORIGIN}/assets/..%2f..%2f..%2fetc%2fpasswd.txt`,
    `${APP_ORIGIN}/assets/..%5c..%5csecret.txt`,
    `${APP_ORIGIN}/C:%5cWindows%5cwin.ini`,
    `${APP_ORIGIN}/c:/Windows/win.ini`,
    `${APP_ORIGIN}/a%00.js`,
    `${APP_ORIGIN}/%E0%A4%A.js`,
    'app://evil/index.html',
    'app://petrel.evil/index.html',
    'file:///etc/passwd',
    'https://petrel/index.html',
    'not a url',
  ])('never serves anything outside the renderer directory for %s', (url) => {
    // Either refused, or (when the URL parser already removed the dots) a path inside root.
    const file = resolveAppFile(root, url);
    expect(file === undefined || file.startsWith(root + path.sep)).toBe(true);
  });

  it('refuses traversal outright rather than clamping it', () => {
    expect(resolveAppFile(root, `${APP_ORIGIN}/assets/..%2f..%2fx.js`)).toBeUndefined();
    expect(resolveAppFile(root, `${APP_ORIGIN}/assets/..%5cx.js`)).toBeUndefined();
    expect(resolveAppFile(root, `${APP_ORIGIN}/a%00.js`)).toBeUndefined();
    expect(resolveAppFile(root, 'app://evil/index.html')).toBeUndefined();
  });
});

describe('mimeTypeFor', () => {
  it('gives module scripts a JavaScript type (Chromium refuses them otherwise)', () => {
    expect(mimeTypeFor('/x/index-abc.js')).toMatch(/^text\/javascript/);
    expect(mimeTypeFor('/x/index.HTML')).toMatch(/^text\/html/);
    expect(mimeTypeFor('/x/a.css')).toMatch(/^text\/css/);
    expect(mimeTypeFor('/x/font.woff2')).toBe('font/woff2');
    expect(mimeTypeFor('/x/unknown.bin')).toBe('application/octet-stream');
  });
});

describe('parseDevRendererUrl', () => {
  it('accepts plain http on localhost or 127.0.0.1', () => {
    expect(parseDevRendererUrl('http://localhost:5173/')?.origin).toBe('http://localhost:5173');
    expect(parseDevRendererUrl('http://127.0.0.1:5173')?.origin).toBe('http://127.0.0.1:5173');
  });

  it.each([
    undefined,
    '',
    'https://localhost:5173',
    'http://example.com:5173',
    'http://localhost.evil.com:5173',
    'http://user:pw@localhost:5173',
    'http://0.0.0.0:5173',
    'file:///tmp/index.html',
    'javascript:alert(1)',
    'localhost:5173',
  ])('refuses %s', (value) => {
    expect(parseDevRendererUrl(value)).toBeUndefined();
  });
});
