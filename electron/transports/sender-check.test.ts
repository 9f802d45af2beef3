import { describe, expect, it } from 'vitest';
import { checkSender, originOf, type SenderFacts } from './sender-check';

const allowed = ['app://petrel'];
const good: SenderFacts = { registered: true, frameAlive: true, topFrame: true, origin: 'app://petrel' };

describe('checkSender', () => {
  it('accepts the top frame of a registered window showing the app', () => {
    expect(checkSender(good, allowed)).toEqual({ ok: true });
  });

  it.each<[string, Partial<SenderFacts>]>([
    ['an unregistered WebContents', { registered: false }],
    ['a frame that is gone', { frameAlive: false }],
    ['an iframe', { topFrame: false }],
    ['another origin', { origin: 'https://evil.example' }],
    ['an opaque origin', { origin: 'null' }],
    ['no origin', { origin: '' }],
    ['a file: page', { origin: 'file://' }],
    ['a look-alike origin', { origin: 'app://petrel.evil' }],
  ])('refuses %s', (_name, change) => {
    const verdict = checkSender({ ...good, ...change }, allowed);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toBeTruthy();
  });

  it('accepts the dev server origin only when it is the allowed one', () => {
    const dev = { ...good, origin: 'http://localhost:5173' };
    expect(checkSender(dev, ['http://localhost:5173']).ok).toBe(true);
    expect(checkSender(dev, allowed).ok).toBe(false);
  });
});

describe('originOf', () => {
  it('gives Chromium-style origins, including for our custom scheme', () => {
    expect(originOf('app://petrel/index.html#/inbox')).toBe('app://petrel');
    expect(originOf('http://localhost:5173/x?y')).toBe('http://localhost:5173');
    expect(originOf('HTTPS://Example.COM:443/a')).toBe('https://example.com');
  });

  it('is undefined for URLs without an origin', () => {
    expect(originOf('not a url')).toBeUndefined();
    expect(originOf('file:///etc/passwd')).toBeUndefined();
    expect(originOf('about:blank')).toBeUndefined();
    expect(originOf('javascript:alert(1)')).toBeUndefined();
  });
});
