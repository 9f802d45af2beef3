import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoconfigError, defaultAutoconfigUrls, discoverAutoconfig, parseAutoconfig } from './autoconfig';
import { parseAddress } from './common';
import { XmlError } from './xml';

const addr = parseAddress('jane.doe@example-isp.de');

/** Shaped like a real ISPDB entry: pop3 first, two IMAP and two SMTP servers, placeholders. */
const ISP_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Settings for Example Telecom, after the usual ISPDB layout -->
<clientConfig version="1.1">
  <emailProvider id="example-isp.net">
    <domain>example-isp.net</domain>
    <domain>example-isp.de</domain>
    <displayName>Example Telecom Mail</displayName>
    <displayShortName>Example</displayShortName>
    <incomingServer type="pop3">
      <hostname>pop.%EMAILDOMAIN%</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>SecureIMAP.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-encrypted</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example-isp.net</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>securesmtp.example-isp.net</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
      <addThisServer>true</addThisServer>
    </outgoingServer>
    <documentation url="https://help.example-isp.net/mail">
      <descr lang="en">Generic settings page</descr>
      <descr lang="de">Allgemeine Beschreibung der Einstellungen</descr>
    </documentation>
  </emailProvider>
  <webMail><loginPage url="https://webmail.example-isp.net/" /></webMail>
</clientConfig>
`;

function config(incoming: string, outgoing: string): string {
  return (
    `<clientConfig version="1.1"><emailProvider id="x"><domain>example-isp.de</domain>` +
    `${incoming}${outgoing}</emailProvider></clientConfig>`
  );
}
const server = (kind: 'incoming' | 'outgoing', type: string, host: string, port: string, socket: string, extra = '') =>
  `<${kind}Server type="${type}"><hostname>${host}</hostname><port>${port}</port>` +
  `<socketType>${socket}</socketType>${extra}</${kind}Server>`;
const SMTP_OK = server('outgoing', 'smtp', 'smtp.example-isp.de', '465', 'SSL');
const IMAP_OK = server('incoming', 'imap', 'imap.example-isp.de', '993', 'SSL');

describe('parseAutoconfig', () => {
  it('reads an ISPDB document: skips pop3, prefers SSL, substitutes the placeholders', () => {
    expect(parseAutoconfig(ISP_XML, addr, 'https://autoconfig.example-isp.de/mail/config-v1.1.xml')).toEqual({
      source: 'autoconfig',
      from: 'https://autoconfig.example-isp.de/mail/config-v1.1.xml',
      displayName: 'Example Telecom Mail',
      imap: { host: 'secureimap.example-isp.de', port: 993, security: 'tls', username: 'jane.doe' },
      smtp: { host: 'securesmtp.example-isp.net', port: 465, security: 'tls', username: 'jane.doe@example-isp.de' },
      confirmHosts: [],
    });
  });

  it('keeps the document order among equally secure servers and defaults the username to the address', () => {
    const xml = config(
      server('incoming', 'imap', 'first.example-isp.de', '993', 'SSL') +
        server('incoming', 'imap', 'second.example-isp.de', '993', 'ssl'),
      SMTP_OK,
    );
    const c = parseAutoconfig(xml, addr, 'u');
    expect(c.imap).toEqual({ host: 'first.example-isp.de', port: 993, security: 'tls', username: addr.email });
    expect(c.displayName).toBeUndefined();
  });

  it('prefers a server Petrel can sign in to over an OAuth2-only one of the same security', () => {
    const xml = config(
      server('incoming', 'imap', 'oauth.example-isp.de', '993', 'SSL', '<authentication>OAuth2</authentication>') +
        server('incoming', 'imap', 'pw.example-isp.de', '993', 'SSL',
          '<authentication>OAuth2</authentication><authentication>password-cleartext</authentication>'),
      SMTP_OK,
    );
    expect(parseAutoconfig(xml, addr, 'u').imap.host).toBe('pw.example-isp.de');
  });

  it('takes plain text only when nothing else is offered, marked as security "none"', () => {
    const xml = config(
      server('incoming', 'imap', 'imap.example-isp.de', '143', 'plain'),
      server('outgoing', 'smtp', 'smtp.example-isp.de', '25', 'plain'),
    );
    const c = parseAutoconfig(xml, addr, 'u');
    expect(c.imap).toMatchObject({ port: 143, security: 'none' });
    expect(c.smtp).toMatchObject({ port: 25, security: 'none' });
  });

  it('skips odd servers and uses a sound one listed after them', () => {
    const xml = config(
      server('incoming', 'imap', 'imap.example-isp.de', '99999', 'SSL') +
        server('incoming', 'imap', 'evil.example/path', '993', 'SSL') +
        server('incoming', 'imap', 'imap.example-isp.de', '993', 'TLS1.3') +
        IMAP_OK.replace('imap.example-isp.de', 'good.example-isp.de'),
      SMTP_OK,
    );
    expect(parseAutoconfig(xml, addr, 'u').imap.host).toBe('good.example-isp.de');
  });

  it.each([
    ['no IMAP server (pop3 only)', config(server('incoming', 'pop3', 'pop.example-isp.de', '995', 'SSL'), SMTP_OK)],
    ['no SMTP server', config(IMAP_OK, '')],
    ['a port that is not a number', config(server('incoming', 'imap', 'imap.x.de', '993abc', 'SSL'), SMTP_OK)],
    ['port 0', config(server('incoming', 'imap', 'imap.x.de', '0', 'SSL'), SMTP_OK)],
    ['a host name with a space', config(server('incoming', 'imap', 'imap .x.de', '993', 'SSL'), SMTP_OK)],
    ['a host name with a leading dash', config(server('incoming', 'imap', '-imap.x.de', '993', 'SSL'), SMTP_OK)],
    ['an unknown placeholder', config(IMAP_OK.replace('</socketType>', '</socketType><username>%REALNAME%</username>'), SMTP_OK)],
    ['another root element', '<config><emailProvider/></config>'],
    ['no emailProvider', '<clientConfig version="1.1"/>'],
  ])('rejects a document with %s', (_why, xml) => {
    expect(() => parseAutoconfig(xml, addr, 'u')).toThrow(AutoconfigError);
  });

  it('rejects malformed and oversized XML', () => {
    expect(() => parseAutoconfig(ISP_XML.replace('</emailProvider>', ''), addr, 'u')).toThrow(XmlError);
    expect(() => parseAutoconfig('<!DOCTYPE clientConfig><clientConfig/>', addr, 'u')).toThrow(XmlError);
    const padded = ISP_XML.replace('<webMail>', `<!-- ${'x'.repeat(300 * 1024)} --><webMail>`);
    expect(() => parseAutoconfig(padded, addr, 'u')).toThrow(/larger than/);
  });
});

describe('defaultAutoconfigUrls', () => {
  it("lists the domain's autoconfig host (with the encoded address), its well-known path, then the ISPDB, all https", () => {
    expect(defaultAutoconfigUrls('example.com', 'a+b@example.com')).toEqual([
      'https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=a%2Bb%40example.com',
      'https://example.com/.well-known/autoconfig/mail/config-v1.1.xml',
      'https://autoconfig.thunderbird.net/v1.1/example.com',
    ]);
  });
});

describe('discoverAutoconfig over HTTP', () => {
  let http: Server;
  let base = '';
  const seen: string[] = [];
  beforeAll(async () => {
    http = createServer((req, res) => {
      seen.push(req.url ?? '');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/config' || path === '/other') {
        const host = path === '/config' ? 'secureimap' : 'other';
        res.writeHead(200, { 'content-type': 'text/xml' }).end(ISP_XML.replace('SecureIMAP', host));
      } else if (path === '/slow') {
        res.writeHead(200, { 'content-type': 'text/xml' }).write('<clientConfig>'); // and nothing more
      } else if (path === '/big') {
        res.writeHead(200, { 'content-type': 'text/xml' }); // chunked: no content-length to trust
        res.end(`<clientConfig>${'<!-- padding -->'.repeat(20_000)}</clientConfig>`);
      } else if (path === '/big-declared') {
        const body = `<clientConfig>${' '.repeat(300 * 1024)}</clientConfig>`;
        res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) }).end(body);
      } else if (path === '/redirect') {
        res.writeHead(302, { location: '/config' }).end();
      } else res.writeHead(404).end('not here');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });

  const run = (paths: string[], timeoutMs = 5000, log: string[] = []) =>
    discoverAutoconfig(addr, paths.map((p) => base + p), fetch, AbortSignal.timeout(timeoutMs), (m) => log.push(m));

  it('takes the second URL when the first 404s, naming it without its query', async () => {
    const log: string[] = [];
    const c = await run(['/missing?emailaddress=jane.doe%40example-isp.de', '/config?emailaddress=x'], 5000, log);
    expect(c).toMatchObject({ source: 'autoconfig', from: `${base}/config`, imap: { host: 'secureimap.example-isp.de' } });
    expect(log).toEqual([`autoconfig: ${base}/missing: HTTP 404`]);
    expect(seen).toContain('/missing?emailaddress=jane.doe%40example-isp.de');
  });

  it('lets an earlier URL win over a later one that also answers, and follows a redirect', async () => {
    expect((await run(['/redirect', '/other']))?.imap.host).toBe('secureimap.example-isp.de');
    expect((await run(['/other', '/config']))?.imap.host).toBe('other.example-isp.de');
  });

  it('gives up on a server that stalls once the time is up', async () => {
    const started = Date.now();
    await expect(run(['/slow'], 300)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops reading an oversized body and returns null when nothing is usable', async () => {
    const log: string[] = [];
    expect(await run(['/big', '/big-declared', '/missing'], 5000, log)).toBeNull();
    expect(log[0]).toMatch(/\/big: response larger than/);
    expect(log[1]).toMatch(/\/big-declared: response larger than/);
  });
});
