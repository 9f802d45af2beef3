import type { DiscoveredConfig, Security } from '../../../../shared/contract/accounts';
import type { Address } from './common';

/**
 * Built-in settings for the big providers, from their own published help pages. They
 * answer without any network traffic, and unlike DNS or a guess they cannot be spoofed,
 * so they come first. Only domains a provider owns belong here: a wrong entry would send
 * someone's password to the wrong company.
 */
interface Server {
  host: string;
  port: number;
  security: Security;
}

interface Provider {
  name: string;
  /** Shown to the person; carries what they must know (app passwords, the Bridge...). */
  displayName?: string;
  domains: readonly string[];
  imap: Server;
  smtp: Server;
}

const gmxCom = {
  imap: { host: 'imap.gmx.com', port: 993, security: 'tls' },
  smtp: { host: 'mail.gmx.com', port: 587, security: 'starttls' },
} as const;
const gmxNet = {
  imap: { host: 'imap.gmx.net', port: 993, security: 'tls' },
  smtp: { host: 'mail.gmx.net', port: 587, security: 'starttls' },
} as const;

export const PROVIDERS: readonly Provider[] = [
  {
    name: 'Gmail',
    displayName: 'Gmail (sign in with an app password)',
    domains: ['gmail.com', 'googlemail.com'],
    imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.gmail.com', port: 465, security: 'tls' },
  },
  {
    name: 'Outlook.com / Microsoft 365',
    domains: [
      'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'passport.com',
      'hotmail.co.uk', 'hotmail.fr', 'hotmail.de', 'hotmail.it', 'hotmail.es', 'hotmail.ca',
      'live.co.uk', 'live.fr', 'live.de', 'live.it', 'live.nl', 'live.ca',
      'outlook.fr', 'outlook.de', 'outlook.it', 'outlook.es',
    ],
    imap: { host: 'outlook.office365.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
  },
  {
    name: 'Yahoo',
    displayName: 'Yahoo Mail (sign in with an app password)',
    // Not yahoo.co.jp: Yahoo! Japan is a separate service with its own servers.
    domains: [
      'yahoo.com', 'ymail.com', 'rocketmail.com', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'yahoo.it',
      'yahoo.es', 'yahoo.ca', 'yahoo.com.au', 'yahoo.co.in', 'yahoo.com.br',
    ],
    imap: { host: 'imap.mail.yahoo.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.mail.yahoo.com', port: 465, security: 'tls' },
  },
  {
    name: 'iCloud',
    displayName: 'iCloud Mail (sign in with an app-specific password)',
    domains: ['icloud.com', 'me.com', 'mac.com'],
    // Apple accepts the full address as the user name for both IMAP and SMTP.
    imap: { host: 'imap.mail.me.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.mail.me.com', port: 587, security: 'starttls' },
  },
  {
    name: 'Fastmail',
    displayName: 'Fastmail (sign in with an app password)',
    domains: [
      'fastmail.com', 'fastmail.fm', 'fastmail.cn', 'fastmail.co.uk', 'fastmail.com.au', 'fastmail.de',
      'fastmail.es', 'fastmail.in', 'fastmail.jp', 'fastmail.net', 'fastmail.org', 'fastmail.to',
      'fastmail.us', 'messagingengine.com', 'sent.com',
    ],
    imap: { host: 'imap.fastmail.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.fastmail.com', port: 465, security: 'tls' },
  },
  { name: 'GMX', domains: ['gmx.com', 'gmx.us', 'gmx.co.uk', 'gmx.fr', 'gmx.es'], ...gmxCom },
  { name: 'GMX', domains: ['gmx.net', 'gmx.de', 'gmx.at', 'gmx.ch'], ...gmxNet },
  {
    name: 'Zoho Mail',
    domains: ['zoho.com', 'zohomail.com'],
    imap: { host: 'imap.zoho.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.zoho.com', port: 465, security: 'tls' },
  },
  {
    name: 'AOL',
    displayName: 'AOL Mail (sign in with an app password)',
    domains: ['aol.com', 'aim.com'],
    imap: { host: 'imap.aol.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.aol.com', port: 465, security: 'tls' },
  },
  {
    // Proton speaks IMAP only through its Bridge app, which listens on loopback and
    // encrypts on the way out; the link to it is local, STARTTLS with Bridge's own certificate.
    name: 'Proton Mail Bridge',
    displayName:
      'Proton Mail through Proton Mail Bridge: the Bridge app must be running, ' +
      'and you sign in with the password it generates (not your Proton password)',
    domains: ['proton.me', 'protonmail.com', 'protonmail.ch', 'pm.me'],
    imap: { host: '127.0.0.1', port: 1143, security: 'starttls' },
    smtp: { host: '127.0.0.1', port: 1025, security: 'starttls' },
  },
];

const byDomain = new Map<string, Provider>(PROVIDERS.flatMap((p) => p.domains.map((d) => [d, p] as const)));

/** The built-in settings for the address's domain, or null. */
export function lookupProvider(addr: Address): DiscoveredConfig | null {
  const p = byDomain.get(addr.domain);
  if (!p) return null;
  return {
    source: 'provider',
    from: p.name,
    displayName: p.displayName ?? p.name,
    imap: { ...p.imap, username: addr.email },
    smtp: { ...p.smtp, username: addr.email },
    confirmHosts: [],
  };
}
