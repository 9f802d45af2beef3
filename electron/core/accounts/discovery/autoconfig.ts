import type { DiscoveredConfig, Security, ServerSettings } from '../../../../shared/contract/accounts';
import { describeError, normalizeHost, raceAbort, type Address, type Log } from './common';
import { childText, childrenNamed, MAX_XML_CHARS, parseXml, type XmlElement } from './xml';

/**
 * Mozilla's autoconfig ("clientConfig version 1.1", the ISPDB format):
 * https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
 */

export const MAX_AUTOCONFIG_BYTES = MAX_XML_CHARS;

/**
 * Where Thunderbird looks, in its order: the domain's own autoconfig host (which alone gets
 * the address, as Thunderbird sends it), its well-known path, then Mozilla's curated ISPDB.
 * All https: plain http could be rewritten by anyone on the path.
 */
export function defaultAutoconfigUrls(domain: string, email: string): string[] {
  return [
    `https://autoconfig.${domain}/mail/config-v1.1.xml?emailaddress=${encodeURIComponent(email)}`,
    `https://${domain}/.well-known/autoconfig/mail/config-v1.1.xml`,
    `https://autoconfig.thunderbird.net/v1.1/${domain}`,
  ];
}

export class AutoconfigError extends Error {
  override readonly name = 'AutoconfigError';
}

/**
 * Fetches all URLs at once (one timeout for the whole source, through signal) and returns
 * the config of the first URL, in the given order, that yields a valid one. Later requests
 * are cancelled as soon as an earlier URL wins. Null when none does.
 */
export async function discoverAutoconfig(
  addr: Address,
  urls: readonly string[],
  fetchImpl: typeof fetch,
  signal: AbortSignal,
  log: Log,
): Promise<DiscoveredConfig | null> {
  const done = new AbortController();
  const both = AbortSignal.any([signal, done.signal]);
  const attempts = urls.map((url) =>
    // raceAbort: the timeout holds even against a fetch that ignores its signal.
    raceAbort(fetchAutoconfig(url, addr, fetchImpl, both), both).then(
      (config) => ({ config }),
      (error: unknown) => ({ error }),
    ),
  );
  try {
    for (const [n, attempt] of attempts.entries()) {
      const r = await attempt;
      if ('config' in r) return r.config;
      if (signal.aborted) throw signal.reason;
      log(`autoconfig: ${urlForLog(urls[n]!)}: ${describeError(r.error)}`);
    }
    return null;
  } finally {
    done.abort();
  }
}

async function fetchAutoconfig(url: string, addr: Address, fetchImpl: typeof fetch, signal: AbortSignal) {
  const res = await fetchImpl(url, {
    signal,
    redirect: 'follow',
    headers: { accept: 'application/xml, text/xml;q=0.9, */*;q=0.1' },
  });
  try {
    if (!res.ok) throw new AutoconfigError(`HTTP ${res.status}`);
    // A redirect must not downgrade an https lookup to plain http.
    if (url.startsWith('https:') && res.url !== '' && !res.url.startsWith('https:')) {
      throw new AutoconfigError('redirected away from https');
    }
    const text = await readLimited(res, MAX_AUTOCONFIG_BYTES);
    return parseAutoconfig(text, addr, urlForLog(url));
  } finally {
    if (!res.bodyUsed) await res.body?.cancel().catch(() => undefined);
  }
}

async function readLimited(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new AutoconfigError(`response larger than ${maxBytes} bytes`);
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new AutoconfigError(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

/** The URL without its query, which carries the address: what `from` shows and logs print. */
function urlForLog(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

const SECURITY: Record<string, Security> = { ssl: 'tls', starttls: 'starttls', plain: 'none' };
const SECURITY_RANK: Record<Security, number> = { tls: 0, starttls: 1, none: 2 };
/** Petrel signs in with a password (or sends without auth); a server offering only these is no use yet. */
const UNSUPPORTED_AUTH = new Set(['oauth2', 'gssapi', 'ntlm', 'tls-client-cert']);

/**
 * Reads a clientConfig document into a config: per protocol the best usable server
 * (TLS, then STARTTLS, then plain; among equals the one listed first). Throws
 * AutoconfigError or XmlError when the document is malformed or offers nothing usable.
 */
export function parseAutoconfig(xml: string, addr: Address, from: string): DiscoveredConfig {
  const root = parseXml(xml);
  if (root.name !== 'clientConfig') throw new AutoconfigError(`root element is <${root.name}>, not <clientConfig>`);
  const provider = childrenNamed(root, 'emailProvider')[0];
  if (!provider) throw new AutoconfigError('no <emailProvider>');
  const imap = pickServer(childrenNamed(provider, 'incomingServer'), 'imap', addr);
  const smtp = pickServer(childrenNamed(provider, 'outgoingServer'), 'smtp', addr);
  const displayName = (childText(provider, 'displayName') || childText(provider, 'displayShortName'))?.slice(0, 200);
  return {
    source: 'autoconfig',
    from,
    ...(displayName ? { displayName } : {}),
    imap,
    smtp,
    confirmHosts: [],
  };
}

function pickServer(elements: XmlElement[], type: 'imap' | 'smtp', addr: Address): ServerSettings {
  const usable: Array<{ settings: ServerSettings; rank: number }> = [];
  const problems: string[] = [];
  for (const el of elements) {
    if (el.attrs.get('type') !== type) continue;
    try {
      const settings = readServer(el, addr);
      const auths = childrenNamed(el, 'authentication').map((a) => a.text.trim().toLowerCase());
      const authOk = auths.length === 0 || auths.some((a) => !UNSUPPORTED_AUTH.has(a));
      usable.push({ settings, rank: SECURITY_RANK[settings.security] * 2 + (authOk ? 0 : 1) });
    } catch (e) {
      problems.push(describeError(e));
    }
  }
  // Array#sort is stable, so equal ranks keep the document's order.
  const best = usable.sort((a, b) => a.rank - b.rank)[0];
  if (!best) throw new AutoconfigError(`no usable ${type} server${problems.length ? ` (${problems.join('; ')})` : ''}`);
  return best.settings;
}

function readServer(el: XmlElement, addr: Address): ServerSettings {
  const rawHost = substitute(childText(el, 'hostname') ?? '', addr);
  const host = normalizeHost(rawHost);
  if (!host) throw new AutoconfigError(`bad hostname "${rawHost.slice(0, 80)}"`);
  const rawPort = childText(el, 'port') ?? '';
  const port = /^[0-9]{1,5}$/.test(rawPort) ? Number(rawPort) : 0;
  if (port < 1 || port > 65535) throw new AutoconfigError(`bad port "${rawPort.slice(0, 20)}"`);
  const socketType = childText(el, 'socketType') ?? '';
  const security = SECURITY[socketType.toLowerCase()];
  if (!security) throw new AutoconfigError(`unknown socketType "${socketType.slice(0, 20)}"`);
  // No <username> means the usual: the full address.
  const rawUser = childText(el, 'username');
  const username = rawUser ? substitute(rawUser, addr) : addr.email;
  if (/%[A-Z]+%/.test(username) || username.length > 320) throw new AutoconfigError('unsupported username');
  return { host, port, security, username };
}

/** Mozilla's placeholders; they appear in usernames and, for %EMAILDOMAIN%, in host names. */
function substitute(s: string, addr: Address): string {
  return s
    .replaceAll('%EMAILADDRESS%', addr.email)
    .replaceAll('%EMAILLOCALPART%', addr.localPart)
    .replaceAll('%EMAILDOMAIN%', addr.domain);
}
