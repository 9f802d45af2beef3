import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicy } from './csp';

function directives(policy: string): Map<string, string> {
  return new Map(
    policy.split(';').map((d) => {
      const [name = '', ...sources] = d.trim().split(/\s+/);
      return [name, sources.join(' ')];
    }),
  );
}

describe('contentSecurityPolicy', () => {
  it('is the strict production policy', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self'; connect-src 'self'; frame-src blob:; base-uri 'none'; form-action 'none'; " +
        "frame-ancestors 'none'; object-src 'none'",
    );
  });

  it('adds connect sources (the host WebSocket)', () => {
    const d = directives(contentSecurityPolicy({ connectSrc: ['ws://127.0.0.1:4321'] }));
    expect(d.get('connect-src')).toBe("'self' ws://127.0.0.1:4321");
    expect(d.get('script-src')).toBe("'self'");
  });

  it('never allows inline or eval scripts unless asked (dev server only)', () => {
    expect(directives(CONTENT_SECURITY_POLICY).get('script-src')).not.toMatch(/unsafe/);
    expect(directives(contentSecurityPolicy({ scriptSrc: ["'unsafe-inline'"] })).get('script-src')).toBe(
      "'self' 'unsafe-inline'",
    );
  });

  it.each(['ws://a; script-src *', 'ws://a ws://b', 'ws://a,ws://b', ''])('refuses a source that could inject: %j', (s) => {
    expect(() => contentSecurityPolicy({ connectSrc: [s] })).toThrow(/Invalid CSP source/);
  });
});
