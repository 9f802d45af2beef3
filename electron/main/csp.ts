/**
 * The renderer's Content Security Policy, shared by the Electron shell and the Node
 * host (which serves the same renderer), so it never imports Electron.
 *
 * No inline or remote scripts, no plugins, no framing of the app, no forms or <base>
 * tricks. Mail HTML is shown only in sandboxed srcdoc iframes under their own CSP, and images only from the
 * app itself or data:/blob: URLs the renderer made: remote content never loads directly.
 */
export interface CspOptions {
  /** Extra connect-src sources, e.g. the host's `ws://127.0.0.1:PORT`. */
  connectSrc?: readonly string[];
  /**
   * Extra script-src sources. Development only: the Vite dev server's React refresh
   * preamble is an inline script. Never set this for a production renderer.
   */
  scriptSrc?: readonly string[];
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  const sources = (base: string, extra: readonly string[] = []) => [base, ...extra.map(checkSource)].join(' ');
  return [
    "default-src 'none'",
    `script-src ${sources("'self'", options.scriptSrc)}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${sources("'self'", options.connectSrc)}`,
    'frame-src blob:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** The production policy (Electron, app://petrel). */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** A source must be one token: a `;`, `,` or space would smuggle in another directive. */
function checkSource(source: string): string {
  if (source === '' || /[\s;,]/.test(source)) throw new Error(`Invalid CSP source: ${JSON.stringify(source)}`);
  return source;
}
