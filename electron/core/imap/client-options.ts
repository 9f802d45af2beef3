import type { ImapFlowOptions } from 'imapflow';
import type { CertificatePin, ServerSettings } from '../../../shared/contract';
import { tlsOptionsFor } from '../net/tls-trust';

export interface ImapCredentials {
  password: string;
}

/**
 * imapflow options for one account's server. Verification is always on (pins aside);
 * STARTTLS is required, never opportunistic, when chosen; imapflow's own logger is off
 * because it would print protocol lines that may carry personal data.
 */
export function imapClientOptions(
  server: ServerSettings,
  creds: ImapCredentials,
  pins: readonly CertificatePin[],
  extra: Partial<ImapFlowOptions> = {},
): ImapFlowOptions {
  return {
    host: server.host,
    port: server.port,
    secure: server.security === 'tls',
    doSTARTTLS: server.security === 'starttls' ? true : server.security === 'none' ? false : undefined,
    auth: { user: server.username, pass: creds.password },
    tls: tlsOptionsFor(server.host, server.port, pins),
    logger: false,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 5 * 60_000,
    clientInfo: { name: 'Petrel' },
    ...extra,
  };
}
