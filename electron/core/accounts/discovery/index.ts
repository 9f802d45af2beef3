import { DiscoveredConfigSchema, type DiscoveredConfig } from '../../../../shared/contract/accounts';
import { discoverAutoconfig, defaultAutoconfigUrls } from './autoconfig';
import { cancelled, describeError, parseAddress, sourceSignal, type Log } from './common';
import { discoverByGuessing } from './guess';
import { defaultProbe, type Probe } from './probe';
import { lookupProvider } from './providers';
import { defaultResolveSrv, discoverSrv, type ResolveSrv } from './srv';

export type { Probe } from './probe';
export type { ResolveSrv, SrvRecord } from './srv';

export interface DiscoveryOptions {
  /** Base URL overrides for tests; defaults are the real Mozilla locations (https only). */
  autoconfigUrls?: (domain: string, email: string) => string[];
  /** DNS resolver for SRV lookups (tests pass a resolver pointed at a loopback DNS server). */
  resolveSrv?: ResolveSrv;
  /** TCP/TLS probe used by guessing; tests inject one. */
  probe?: Probe;
  /** For autoconfig; the global fetch by default. */
  fetch?: typeof fetch;
  /** Per source (autoconfig, SRV, guessing); also caps each guessing probe. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Why a source found nothing; hosts and URLs only, never the address's query string. */
  log?: (msg: string) => void;
}

export const DEFAULT_SOURCE_TIMEOUT_MS = 10_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 4_000;

/**
 * Finds server settings for an address, most reliable source first: the built-in provider
 * table, Mozilla autoconfig, RFC 6186 SRV records, then guesses. The first two are
 * trustworthy enough that when either answers we stop there (a fast path that also keeps
 * DNS and connection probes quiet); otherwise SRV and guessing run side by side and both
 * results come back, SRV first.
 *
 * Returns [] when nothing is found. A source's failure is logged and skipped; only
 * cancellation (CANCELLED) and an unusable address (BAD_REQUEST) throw.
 */
export async function discover(email: string, options: DiscoveryOptions = {}): Promise<DiscoveredConfig[]> {
  const { signal, log = () => undefined } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const addr = parseAddress(email);
  if (signal?.aborted) throw cancelled();

  // Runs one source under its own timeout: errors become "nothing", except the caller's abort.
  const run = async (name: string, source: (s: AbortSignal) => Promise<DiscoveredConfig | null>) => {
    try {
      const config = await source(sourceSignal(timeoutMs, signal));
      return config && checked(config, log);
    } catch (e) {
      if (signal?.aborted) throw cancelled();
      log(`${name}: ${describeError(e)}`);
      return null;
    }
  };

  const provider = lookupProvider(addr);
  if (provider) return [provider];

  const urls = (options.autoconfigUrls ?? defaultAutoconfigUrls)(addr.domain, addr.email);
  const autoconfig = await run('autoconfig', (s) => discoverAutoconfig(addr, urls, options.fetch ?? fetch, s, log));
  if (autoconfig) return [autoconfig];

  const probeTimeoutMs = Math.min(timeoutMs, DEFAULT_PROBE_TIMEOUT_MS);
  const [srv, guess] = await Promise.all([
    run('srv', (s) => discoverSrv(addr, options.resolveSrv ?? defaultResolveSrv(s), s, log)),
    run('guess', (s) => discoverByGuessing(addr, options.probe ?? defaultProbe, probeTimeoutMs, s)),
  ]);
  // A guess that merely repeats what SRV said adds nothing.
  return [srv, srv && guess && sameServers(srv, guess) ? null : guess].filter((c) => c !== null);
}

function sameServers(a: DiscoveredConfig, b: DiscoveredConfig): boolean {
  const key = (c: DiscoveredConfig) => [c.imap, c.smtp].map((s) => `${s.host}:${s.port}:${s.security}`).join(' ');
  return key(a) === key(b);
}

/** A last check against the contract, so a source's slip never reaches the UI. */
function checked(config: DiscoveredConfig, log: Log): DiscoveredConfig | null {
  const r = DiscoveredConfigSchema.safeParse(config);
  if (r.success) return r.data;
  log(`${config.source}: dropped a config that breaks the contract: ${r.error.issues[0]?.message ?? ''}`);
  return null;
}
