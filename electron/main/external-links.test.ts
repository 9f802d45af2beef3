import { describe, expect, it } from 'vitest';
import { isAllowedExternalUrl, normalizeExternalUrl } from './external-links';

describe('isAllowedExternalUrl', () => {
  it.each([
    'https://example.com',
    'http://example.com/path?q=1#frag',
    'HTTP://EXAMPLE.COM',
    'https://xn--bcher-kva.example/',
    'https://example.com:8443/a b',
    'mailto:a@b',
    'mailto:alice@example.com?subject=Hello%20there',
  ])('allows %s', (url) => {
    expect(isAllowedExternalUrl(url)).toBe(true);
  });

  it.each([
    ['javascript:', 'javascript:alert(1)'],
    ['JavaScript: in capitals', 'JaVaScRiPt:alert(1)'],
    ['leading whitespace', ' javascript:alert(1)'],
    ['a tab inside the scheme', 'java\tscript:alert(1)'],
    ['a newline inside the scheme', 'java\nscript:alert(1)'],
    ['leading whitespace before https', ' https://example.com'],
    ['trailing newline', 'https://example.com\n'],
    ['a NUL byte', 'https://example.com/\u0000'],
    ['file:', 'file:///etc/passwd'],
    ['file: on Windows', 'file://C:/Windows/System32/calc.exe'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['vbscript:', 'vbscript:msgbox(1)'],
    ['blob:', 'blob:https://example.com/1234'],
    ['ftp:', 'ftp://example.com/'],
    ['a custom app scheme', 'ms-settings:privacy'],
    ['our own scheme', 'app://petrel/index.html'],
    ['credentials', 'http://user:pw@x'],
    ['a user name only', 'https://user@example.com'],
    ['a scheme-relative URL', '//evil'],
    ['a relative path', '/etc/passwd'],
    ['no host', 'http:'],
    ['an empty mailto', 'mailto:'],
    ['the empty string', ''],
    ['too long', `https://example.com/${'a'.repeat(2048)}`],
  ])('denies %s', (_name, url) => {
    expect(isAllowedExternalUrl(url)).toBe(false);
  });

  it('denies non-strings defensively', () => {
    expect(isAllowedExternalUrl(undefined as unknown as string)).toBe(false);
    expect(isAllowedExternalUrl({ toString: () => 'https://x.example' } as unknown as string)).toBe(false);
  });
});

describe('normalizeExternalUrl', () => {
  it('returns the parsed form, which is what gets opened', () => {
    expect(normalizeExternalUrl('HTTP://EXAMPLE.COM')).toBe('http://example.com/');
    expect(normalizeExternalUrl('https://example.com/a b')).toBe('https://example.com/a%20b');
    expect(normalizeExternalUrl('mailto:a@b')).toBe('mailto:a@b');
    expect(normalizeExternalUrl('javascript:alert(1)')).toBeUndefined();
  });
});
