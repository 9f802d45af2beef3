/**
 * Which links Petrel hands to the operating system (browser, mail app). Everything
 * else is refused: `file:` would open local files or programs, `javascript:`/`data:`/
 * `vbscript:` run code, and custom schemes launch arbitrary registered apps.
 * No Electron import, so it is unit tested and the Node host can reuse it.
 */
const ALLOWED_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:', 'mailto:']);
const MAX_LENGTH = 2048;

/**
 * The normalized URL to open, or undefined if it must not be opened. Pass the result
 * (not the input) to `shell.openExternal`, so the OS sees exactly what was checked.
 */
export function normalizeExternalUrl(url: string): string | undefined {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_LENGTH) return undefined;
  // The URL parser silently strips surrounding whitespace and drops tabs and newlines
  // anywhere; refuse such input instead of guessing what the sender meant.
  // eslint-disable-next-line no-control-regex
  if (url !== url.trim() || /[\u0000-\u001f\u007f]/.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!ALLOWED_PROTOCOLS.has(parsed.protocol)) return undefined;
  if (parsed.protocol !== 'mailto:') {
    if (parsed.hostname === '') return undefined;
    // user:password@ is a classic way to disguise the real host.
    if (parsed.username !== '' || parsed.password !== '') return undefined;
  } else if (parsed.pathname === '' && parsed.search === '') {
    return undefined;
  }
  const href = parsed.href;
  return href.length <= MAX_LENGTH ? href : undefined;
}

export function isAllowedExternalUrl(url: string): boolean {
  return normalizeExternalUrl(url) !== undefined;
}
