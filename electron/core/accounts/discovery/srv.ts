import { Resolver } from 'node:dns/promises';
import type { DiscoveredConfig, Security, ServerSettings } from '../../../../shared/contract/accounts';
import { describeError, isWithinDomain, normalizeHost, raceAbort, type Address, type Log } from './common';

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}
export type ResolveSrv = (name: string) => Promise<SrvRecord[]>;

/**
 * RFC 6186 service names, per protocol in order of preference: RFC 8314 (section 5.1) asks
 * clients to prefer implicit TLS (`_imaps`, `_submissions`) over STARTTLS (`_imap`, `_submission`).
 */
const SERVICES: Record<'imap' | 'smtp', ReadonlyArray<{ label: string; security: Security }>> = {
  imap: [
    { label: '_imaps._tcp', security: 'tls' },
    { label: '_imap._tcp', security: 'starttls' },
  ],
  smtp: [
    { label: '_submissions._tcp', security: 'tls' },
    { label: '_submission._tcp', security: 'starttls' },
  ],
};

/** The system's resolver; `cancel()` on abort drops its queries. */
export function defaultResolveSrv(signal: AbortSignal): ResolveSrv {
  const resolver = new Resolver({ tries: 2 });
  signal.addEventListener('abort', () => resolver.cancel(), { once: true });
  return (name) => resolver.resolveSrv(name);
}

/** Looks up all four names at once; null unless both an IMAP and a submission server turn up. */
export async function discoverSrv(
  addr: Address,
  resolveSrv: ResolveSrv,
  signal: AbortSignal,
  log: Log,
): Promise<DiscoveredConfig | null> {
  const lookup = async (name: string): Promise<SrvRecord[]> => {
    try {
      return await raceAbort(resolveSrv(name), signal);
    } catch (e) {
      if (signal.aborted) throw e;
      // "No such name" and "no SRV records" are the normal answers for most domains.
      const code = (e as { code?: unknown }).code;
      if (code !== 'ENOTFOUND' && code !== 'ENODATA') log(`srv: ${name}: ${describeError(e)}`);
      return [];
    }
  };
  const pick = async (protocol: 'imap' | 'smtp') => {
    const found = await Promise.all(
      SERVICES[protocol].map(async ({ label, security }) => {
        const name = `${label}.${addr.domain}`;
        const target = bestTarget(await lookup(name));
        return target && { name, settings: { ...target, security, username: addr.email } satisfies ServerSettings };
      }),
    );
    return found.find((f) => f !== null) ?? null;
  };
  const [imap, smtp] = await Promise.all([pick('imap'), pick('smtp')]);
  if (!imap || !smtp) {
    if (imap || smtp) log(`srv: ${addr.domain}: found ${imap ? 'IMAP' : 'submission'} only`);
    return null;
  }
  const outside = [imap.settings.host, smtp.settings.host].filter((h) => !isWithinDomain(h, addr.domain));
  return {
    source: 'srv',
    from: `${imap.name}, ${smtp.name}`,
    imap: imap.settings,
    smtp: smtp.settings,
    // RFC 6186 section 6: DNS answers are unauthenticated (without DNSSEC), so a target
    // outside the address's domain may be an attacker's; the person confirms it first.
    confirmHosts: [...new Set(outside)],
  };
}

/**
 * RFC 2782 order: lowest priority first, then (deterministically, rather than by weighted
 * lottery) highest weight. A target of "." means the service is decidedly not offered.
 */
export function bestTarget(records: readonly SrvRecord[]): { host: string; port: number } | null {
  if (records.some((r) => r.name === '' || r.name === '.')) return null;
  const sorted = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  for (const r of sorted) {
    const host = normalizeHost(r.name);
    if (host && Number.isInteger(r.port) && r.port >= 1 && r.port <= 65535) return { host, port: r.port };
  }
  return null;
}
