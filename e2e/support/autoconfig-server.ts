import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AutoconfigEntry {
  imap: { host: string; port: number; socketType: 'SSL' | 'STARTTLS' | 'plain' };
  smtp: { host: string; port: number; socketType: 'SSL' | 'STARTTLS' | 'plain' };
}

/** The test servers as example.test publishes them: IMAP over TLS, submission with STARTTLS. */
export function trustedEntry(servers: { imap: { tlsPort: number }; smtp: { submissionPort: number } }): AutoconfigEntry {
  return {
    imap: { host: 'localhost', port: servers.imap.tlsPort, socketType: 'SSL' },
    smtp: { host: 'localhost', port: servers.smtp.submissionPort, socketType: 'STARTTLS' },
  };
}

/**
 * A local HTTP server answering Mozilla autoconfig (ISPDB format) requests, as a mail
 * provider would publish them. The host is pointed at it with PETREL_AUTOCONFIG_URL.
 */
export async function startAutoconfigServer(byDomain: Record<string, AutoconfigEntry>): Promise<{
  urlTemplate: string;
  requests: string[];
  close(): Promise<void>;
}> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/([^/]+)\/config-v1\.1\.xml/.exec(req.url ?? '');
    const entry = m?.[1] ? byDomain[decodeURIComponent(m[1])] : undefined;
    if (!entry || !m?.[1]) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/xml' });
    res.end(xml(decodeURIComponent(m[1]), entry));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    urlTemplate: `http://127.0.0.1:${port}/{domain}/config-v1.1.xml?emailaddress={email}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function xml(domain: string, e: AutoconfigEntry): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="${domain}">
    <domain>${domain}</domain>
    <displayName>Example Test Mail</displayName>
    <displayShortName>Example</displayShortName>
    <incomingServer type="imap">
      <hostname>${e.imap.host}</hostname>
      <port>${e.imap.port}</port>
      <socketType>${e.imap.socketType}</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>${e.smtp.host}</hostname>
      <port>${e.smtp.port}</port>
      <socketType>${e.smtp.socketType}</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
`;
}
