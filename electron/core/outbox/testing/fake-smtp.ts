/**
 * A tiny scripted SMTP server for unit tests (plain TCP on 127.0.0.1): enough of RFC 5321
 * for nodemailer's client, with the failures real servers have at each step, including the
 * one that matters most here: the connection dropping after the message's final dot.
 */
import net from 'node:net';

export type AfterData = 'accept' | 'drop' | 'reject' | 'temporary';

export interface FakeSmtpOptions {
  password?: string;
  /** Recipients refused at RCPT TO (550). */
  rejectRcpt?: string[];
  /** What happens after the final dot. */
  afterData?: AfterData | (() => AfterData);
  /** Announced in EHLO. */
  size?: number;
}

export interface FakeSmtp {
  port: number;
  /** Every message body received up to its final dot (whatever the reply was). */
  received: { from: string; to: string[]; data: string }[];
  /** Connections accepted. */
  connections: number;
  options: FakeSmtpOptions;
  close(): Promise<void>;
}

export async function startFakeSmtp(options: FakeSmtpOptions = {}): Promise<FakeSmtp> {
  const received: FakeSmtp['received'] = [];
  const sockets = new Set<net.Socket>();
  const state: FakeSmtp = {
    port: 0,
    received,
    connections: 0,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let inData = false;
    let data = '';
    let from = '';
    let to: string[] = [];
    let authPending = false;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 fake.test ESMTP');
    const checkAuth = (b64: string) => {
      const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
      const ok = options.password === undefined || parts[2] === options.password;
      reply(ok ? '235 2.7.0 Authentication successful' : '535 5.7.8 Error: authentication failed: bad password');
    };
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        if (inData) {
          if (line !== '.') {
            data += `${line.startsWith('..') ? line.slice(1) : line}\r\n`;
            continue;
          }
          inData = false;
          received.push({ from, to, data });
          const after = typeof options.afterData === 'function' ? options.afterData() : (options.afterData ?? 'accept');
          if (after === 'drop') {
            socket.destroy();
            return;
          }
          if (after === 'reject') reply('554 5.7.1 Message rejected as spam');
          else if (after === 'temporary') reply('451 4.3.0 Try again later');
          else reply('250 2.0.0 Ok: queued as FAKE1');
          continue;
        }
        if (authPending) {
          authPending = false;
          checkAuth(line);
          continue;
        }
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') {
          reply('250-fake.test');
          reply(`250-SIZE ${options.size ?? 10_000_000}`);
          reply('250 AUTH PLAIN');
        } else if (verb === 'HELO') reply('250 fake.test');
        else if (verb === 'AUTH') {
          const [, , initial] = line.split(' ');
          if (initial) checkAuth(initial);
          else {
            authPending = true;
            reply('334 ');
          }
        } else if (verb === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          to = [];
          reply('250 2.1.0 Ok');
        } else if (verb === 'RCPT') {
          const addr = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (options.rejectRcpt?.includes(addr)) reply(`550 5.1.1 <${addr}>: Recipient address rejected: User unknown`);
          else {
            to.push(addr);
            reply('250 2.1.5 Ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          data = '';
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET') reply('250 2.0.0 Ok');
        else if (verb === 'NOOP') reply('250 2.0.0 Ok');
        else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          socket.end();
        } else reply('502 5.5.2 Error: command not recognized');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}
