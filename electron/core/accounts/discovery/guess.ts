import type { DiscoveredConfig, Security, ServerSettings } from '../../../../shared/contract/accounts';
import { raceAbort, type Address } from './common';
import type { Probe } from './probe';

export interface Candidate {
  host: string;
  port: number;
  security: Security;
}

/**
 * The usual names, in order of preference. Implicit TLS ports come before STARTTLS ones on
 * every host (RFC 8314 section 3 prefers implicit TLS), then the protocol-specific name
 * before the generic `mail.`. Guesses never leave the address's domain.
 */
export function guessCandidates(domain: string): { imap: Candidate[]; smtp: Candidate[] } {
  const make = (names: string[], ports: Array<[number, Security]>) =>
    ports.flatMap(([port, security]) => names.map((n) => ({ host: `${n}.${domain}`, port, security })));
  return {
    imap: make(['imap', 'mail'], [[993, 'tls'], [143, 'starttls']]),
    smtp: make(['smtp', 'mail'], [[465, 'tls'], [587, 'starttls']]),
  };
}

/**
 * Probes every candidate at once and keeps, per protocol, the most preferred one that
 * answered. A protocol is decided as soon as every better candidate has failed, without
 * waiting for the slower, worse ones. Null unless both IMAP and SMTP were found.
 */
export async function discoverByGuessing(
  addr: Address,
  probe: Probe,
  probeTimeoutMs: number,
  signal: AbortSignal,
): Promise<DiscoveredConfig | null> {
  const firstAnswering = async (candidates: Candidate[]): Promise<ServerSettings | null> => {
    const answers = candidates.map((c) => probe(c.host, c.port, c.security, probeTimeoutMs).catch(() => false));
    for (const [n, answer] of answers.entries()) {
      if (await raceAbort(answer, signal)) return { ...candidates[n]!, username: addr.email };
    }
    return null;
  };
  const { imap: imapCandidates, smtp: smtpCandidates } = guessCandidates(addr.domain);
  const [imap, smtp] = await Promise.all([firstAnswering(imapCandidates), firstAnswering(smtpCandidates)]);
  if (!imap || !smtp) return null;
  return { source: 'guess', from: `${imap.host}, ${smtp.host}`, imap, smtp, confirmHosts: [] };
}
