import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { Security } from '../../../shared/contract';

export interface CertificateFacts {
  host: string;
  port: number;
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  certPem: string;
  /** Why Node refused it (e.g. SELF_SIGNED_CERT_IN_CHAIN), in its own code. */
  reason: string;
}

/**
 * Fetches a server's certificate so the person can decide whether to trust it. This one
 * connection skips verification on purpose: it only reads the certificate and closes,
 * sending nothing but the protocol's STARTTLS preamble (no credentials, no mail).
 */
export function inspectCertificate(
  host: string,
  port: number,
  security: Exclude<Security, 'none'>,
  protocol: 'imap' | 'smtp',
  timeoutMs = 10_000,
): Promise<CertificateFacts> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('timed out reading the certificate')), timeoutMs);
    const plain: Socket | undefined = security === 'tls' ? undefined : netConnect({ host, port });
    let tls: TLSSocket | undefined;
    const fail = (e: Error) => {
      clearTimeout(timer);
      tls?.destroy();
      plain?.destroy();
      reject(e);
    };
    const handshake = (socket?: Socket) => {
      const secure = (tls = tlsConnect({ host, port, socket, servername: isIp(host) ? undefined : host, rejectUnauthorized: false }));
      // `on`, not `once`: a socket may report a second error, and one with no listener ends the process.
      secure.on('error', fail);
      secure.once('secureConnect', () => {
        clearTimeout(timer);
        const cert = secure.getPeerCertificate(true) as DetailedPeerCertificate;
        const reason = String(secure.authorizationError ?? 'UNKNOWN');
        secure.destroy();
        plain?.destroy();
        if (!cert?.raw) return reject(new Error('the server sent no certificate'));
        resolve({
          host,
          port,
          subject: describeName(cert.subject),
          issuer: describeName(cert.issuer),
          validFrom: new Date(cert.valid_from).toISOString(),
          validTo: new Date(cert.valid_to).toISOString(),
          fingerprint256: cert.fingerprint256,
          certPem: toPem(cert.raw),
          reason,
        });
      });
    };
    if (!plain) return handshake();
    plain.on('error', fail);
    startTlsPreamble(plain, protocol).then(() => handshake(plain), fail);
  });
}

/** Speaks just enough IMAP or SMTP to ask for STARTTLS (RFC 3501 6.2.1, RFC 3207). */
function startTlsPreamble(socket: Socket, protocol: 'imap' | 'smtp'): Promise<void> {
  const steps =
    protocol === 'imap'
      ? [{ expect: /^\* OK/m }, { send: 'p1 STARTTLS\r\n', expect: /^p1 OK/m }]
      : [
          { expect: /^220 /m },
          { send: 'EHLO petrel.invalid\r\n', expect: /^250 /m },
          { send: 'STARTTLS\r\n', expect: /^220 /m },
        ];
  return new Promise((resolve, reject) => {
    let buffer = '';
    let i = 0;
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      const step = steps[i];
      if (!step) return;
      if (/^(p1 (NO|BAD)|[45]\d\d )/m.test(buffer)) {
        socket.off('data', onData);
        return reject(new Error('the server refused STARTTLS'));
      }
      if (step.expect.test(buffer)) {
        buffer = '';
        i++;
        const next = steps[i];
        if (!next) {
          socket.off('data', onData);
          return resolve();
        }
        if (next.send) socket.write(next.send);
      }
    };
    socket.on('data', onData);
  });
}

function describeName(name: Record<string, string | string[] | undefined> | undefined): string {
  if (!name) return '';
  const parts: string[] = [];
  for (const key of ['CN', 'O', 'OU', 'L', 'C']) {
    const v = name[key];
    if (v) parts.push(`${key}=${Array.isArray(v) ? v.join('+') : v}`);
  }
  return parts.join(', ');
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
