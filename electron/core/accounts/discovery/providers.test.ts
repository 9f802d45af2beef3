import { describe, expect, it } from 'vitest';
import { DiscoveredConfigSchema } from '../../../../shared/contract/accounts';
import { parseAddress } from './common';
import { lookupProvider, PROVIDERS } from './providers';

const find = (email: string) => lookupProvider(parseAddress(email));

describe('the provider table', () => {
  it('gives every domain exactly one provider, and every entry satisfies the contract', () => {
    const domains = PROVIDERS.flatMap((p) => p.domains);
    expect(new Set(domains).size).toBe(domains.length);
    for (const d of domains) {
      expect(d).toBe(d.toLowerCase());
      expect(DiscoveredConfigSchema.parse(find(`someone@${d}`))).toMatchObject({ source: 'provider', confirmHosts: [] });
    }
  });

  it('knows the published settings', () => {
    expect(find('a@hotmail.co.uk')).toMatchObject({
      from: 'Outlook.com / Microsoft 365',
      imap: { host: 'outlook.office365.com', port: 993, security: 'tls' },
      smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
    });
    expect(find('a@me.com')).toMatchObject({
      imap: { host: 'imap.mail.me.com', username: 'a@me.com' },
      smtp: { host: 'smtp.mail.me.com', port: 587, security: 'starttls', username: 'a@me.com' },
    });
    expect(find('a@fastmail.fm')?.imap.host).toBe('imap.fastmail.com');
    expect(find('a@ymail.com')?.smtp).toMatchObject({ host: 'smtp.mail.yahoo.com', port: 465 });
  });

  it('picks the GMX servers per domain', () => {
    expect([find('a@gmx.com')?.imap.host, find('a@gmx.com')?.smtp.host]).toEqual(['imap.gmx.com', 'mail.gmx.com']);
    expect([find('a@gmx.de')?.imap.host, find('a@gmx.de')?.smtp.host]).toEqual(['imap.gmx.net', 'mail.gmx.net']);
  });

  it('points Proton at the local Bridge and says so', () => {
    const c = find('a@proton.me');
    expect(c).toMatchObject({
      from: 'Proton Mail Bridge',
      imap: { host: '127.0.0.1', port: 1143, security: 'starttls' },
      smtp: { host: '127.0.0.1', port: 1025, security: 'starttls' },
    });
    expect(c?.displayName).toMatch(/Bridge app must be running.*password it generates/);
  });

  it('knows nothing of other domains, nor of look-alikes', () => {
    expect(find('a@example.com')).toBeNull();
    expect(find('a@gmail.com.evil.example')).toBeNull();
    expect(find('a@notgmail.com')).toBeNull();
  });
});
