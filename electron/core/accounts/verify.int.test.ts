import { describe, expect, it } from 'vitest';
import { loadMailServersFromEnv } from '../../../e2e/mailserver/mailserver';
import type { AccountDraft, CertificatePin, CheckResult } from '../../../shared/contract';
import { verifyAccount } from './verify';

const servers = loadMailServersFromEnv();
const alice = servers.user('alice');

function draft(overrides: Partial<AccountDraft> = {}): AccountDraft {
  return {
    label: 'Alice',
    name: 'Alice',
    email: alice.address,
    auth: { method: 'password' },
    imap: { host: 'localhost', port: servers.imap.tlsPort, security: 'tls', username: alice.login },
    smtp: { host: 'localhost', port: servers.smtp.submissionPort, security: 'starttls', username: alice.login },
    pins: [],
    ...overrides,
  };
}

const code = (r: CheckResult) => (r.ok ? 'OK' : r.error.code);

describe('verifying account settings against the real servers', () => {
  it('signs in to IMAP (TLS) and SMTP (STARTTLS + AUTH) with the right password', async () => {
    const res = await verifyAccount(draft(), { password: alice.password });
    expect(res).toEqual({ imap: { ok: true }, smtp: { ok: true } });
  });

  it('signs in with STARTTLS on IMAP and implicit TLS on SMTP', async () => {
    const res = await verifyAccount(
      draft({
        imap: { host: servers.imap.strictHost, port: servers.imap.starttlsPort, security: 'starttls', username: alice.login },
        smtp: { host: 'localhost', port: servers.smtp.tlsPort, security: 'tls', username: alice.login },
      }),
      { password: alice.password },
    );
    expect(res).toEqual({ imap: { ok: true }, smtp: { ok: true } });
  });

  it('says AUTH_FAILED for a wrong password, on both servers', async () => {
    const res = await verifyAccount(draft(), { password: 'wrong-password' });
    expect(code(res.imap)).toBe('AUTH_FAILED');
    expect(code(res.smtp)).toBe('AUTH_FAILED');
    expect(res.imap.ok ? '' : res.imap.error.message).toMatch(/rejected the user name or password/);
  });

  it('says SERVER_UNREACHABLE for a closed port', async () => {
    const res = await verifyAccount(
      draft({ imap: { host: '127.0.0.1', port: 1, security: 'tls', username: alice.login } }),
      { password: alice.password },
    );
    expect(code(res.imap)).toBe('SERVER_UNREACHABLE');
  });

  it('refuses to send a password unencrypted where the server forbids it', async () => {
    const res = await verifyAccount(
      draft({
        imap: { host: servers.imap.strictHost, port: servers.imap.starttlsPort, security: 'none', username: alice.login },
        // Postfix offers AUTH on submission only after STARTTLS: without it, sending could never work.
        smtp: { host: 'localhost', port: servers.smtp.submissionPort, security: 'none', username: alice.login },
      }),
      { password: alice.password },
    );
    expect(code(res.imap)).toBe('NO_AUTH_MECHANISM');
    expect(code(res.smtp)).toBe('NO_AUTH_MECHANISM');
    expect(res.smtp.ok ? '' : res.smtp.error.message).toMatch(/offers no sign-in unencrypted; choose STARTTLS or SSL\/TLS/);
  });

  it('shows an untrusted certificate with its fingerprint; trusting it connects; a changed one is refused', async () => {
    const untrusted = draft({
      imap: { host: servers.imap.untrustedHost, port: servers.imap.tlsPort, security: 'tls', username: alice.login },
    });
    const first = await verifyAccount(untrusted, { password: alice.password });
    expect(code(first.imap)).toBe('CERT_UNTRUSTED');
    const details = first.imap.ok ? {} : (first.imap.error.details ?? {});
    expect(details).toMatchObject({
      host: servers.imap.untrustedHost,
      port: servers.imap.tlsPort,
      fingerprint256: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
      issuer: expect.stringContaining('Untrusted Test CA'),
    });
    const pin: CertificatePin = {
      host: servers.imap.untrustedHost,
      port: servers.imap.tlsPort,
      fingerprint256: details.fingerprint256 as string,
      certPem: details.certPem as string,
    };
    const pinned = await verifyAccount({ ...untrusted, pins: [pin] }, { password: alice.password });
    expect(code(pinned.imap)).toBe('OK');

    await servers.rotateUntrustedCertificate();
    const changed = await verifyAccount({ ...untrusted, pins: [pin] }, { password: alice.password });
    expect(code(changed.imap)).toBe('CERT_UNTRUSTED');
    const newPrint = changed.imap.ok ? '' : changed.imap.error.details?.fingerprint256;
    expect(newPrint).not.toBe(pin.fingerprint256);
  });

  it('reports an untrusted certificate behind STARTTLS too', async () => {
    const res = await verifyAccount(
      draft({ imap: { host: servers.imap.untrustedHost, port: servers.imap.starttlsPort, security: 'starttls', username: alice.login } }),
      { password: alice.password },
    );
    expect(code(res.imap)).toBe('CERT_UNTRUSTED');
  });
});
