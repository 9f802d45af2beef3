import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Security } from '../../../../shared/contract/accounts';

/** Does a mail server answer at host:port with this security? Never rejects. */
export type Probe = (host: string, port: number, security: Security, timeoutMs: number) => Promise<boolean>;

const MAX_BUFFER = 16 * 1024;

/**
 * The real probe. It checks that an IMAP or SMTP server greets us, not merely that a port
 * is open:
 * - 'tls': a TLS handshake with certificate verification (against `ca` when given, for
 *   tests; the system's roots otherwise), then the greeting;
 * - 'starttls': the plain greeting, then IMAP `a CAPABILITY` or SMTP `EHLO`, and the answer
 *   must list STARTTLS (Petrel never falls back to plain text on its own);
 * - 'none': the plain greeting.
 * It sends LOGOUT / QUIT and closes; it never logs in.
 */
export function createTcpProbe(opts: { ca?: string | Buffer } = {}): Probe {
  return (host, port, security, timeoutMs) =>
    new Promise<boolean>((resolve) => {
      const socket: Socket =
        security === 'tls'
          ? tlsConnect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: true, ca: opts.ca })
          : tcpConnect({ host, port });
      let settled = false;
      const finish = (ok: boolean, bye?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (bye && socket.writable) {
          socket.end(bye);
          setTimeout(() => socket.destroy(), 1000).unref();
        } else socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      socket.setEncoding('latin1');
      socket.on('error', () => finish(false));
      socket.on('close', () => finish(false));

      const dialog = new Dialog(security, (line) => socket.write(line), socket);
      let buf = '';
      socket.on('data', (chunk: string) => {
        buf += chunk;
        if (buf.length > MAX_BUFFER) return finish(false);
        let nl: number;
        while (!settled && (nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          const verdict = dialog.onLine(line);
          if (verdict !== undefined) finish(verdict, dialog.bye);
        }
      });
    });
}

/** The few lines of IMAP (RFC 9051) or SMTP (RFC 5321) a probe needs; a verdict ends it. */
class Dialog {
  private state: 'greeting' | 'smtp-greeting' | 'imap-capability' | 'ehlo' = 'greeting';
  private starttls = false;
  bye: string | undefined;

  constructor(
    private readonly security: Security,
    private readonly send: (line: string) => void,
    private readonly socket: Socket,
  ) {}

  onLine(line: string): boolean | undefined {
    switch (this.state) {
      case 'greeting':
        if (/^\* (OK|PREAUTH)\b/i.test(line)) {
          this.bye = 'a LOGOUT\r\n';
          if (this.security !== 'starttls') return true;
          // The greeting may carry the capabilities already (RFC 9051 section 7.1).
          if (/\[CAPABILITY [^\]]*\bSTARTTLS\b/i.test(line)) return true;
          this.state = 'imap-capability';
          this.send('a CAPABILITY\r\n');
          return undefined;
        }
        if (/^220[ -]/.test(line)) {
          this.bye = 'QUIT\r\n';
          this.state = 'smtp-greeting';
          return this.onLine(line);
        }
        return false;
      case 'smtp-greeting':
        if (!line.startsWith('220')) return false;
        if (line[3] === '-') return undefined; // a multi-line greeting goes on
        if (this.security !== 'starttls') return true;
        this.state = 'ehlo';
        this.send(`EHLO ${this.addressLiteral()}\r\n`);
        return undefined;
      case 'imap-capability':
        if (/^\* CAPABILITY /i.test(line)) this.starttls ||= /\bSTARTTLS\b/i.test(line);
        else if (/^a OK\b/i.test(line)) return this.starttls;
        else if (/^a (NO|BAD)\b/i.test(line)) return false;
        return undefined;
      case 'ehlo':
        if (!line.startsWith('250')) return false;
        if (/^STARTTLS\b/i.test(line.slice(4))) this.starttls = true;
        return line[3] === ' ' ? this.starttls : undefined;
    }
  }

  /** RFC 5321 section 4.1.3: without a host name, EHLO names the client by its address. */
  private addressLiteral(): string {
    const a = this.socket.localAddress ?? '127.0.0.1';
    return isIP(a) === 6 ? `[IPv6:${a}]` : `[${a}]`;
  }
}

export const defaultProbe: Probe = createTcpProbe();
