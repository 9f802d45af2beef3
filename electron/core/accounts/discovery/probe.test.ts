import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { createTcpProbe } from './probe';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** A fake mail server: sends greeting, then answers each command line via reply. */
function speak(greeting: string | null, reply: (line: string) => string | undefined, heard: string[] = []) {
  return (socket: Socket) => {
    socket.on('error', () => undefined);
    if (greeting !== null) socket.write(greeting);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\r\n'); nl >= 0; nl = buf.indexOf('\r\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        heard.push(line);
        const out = reply(line);
        if (out !== undefined) socket.write(out);
      }
    });
  };
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  server.on('connection', (s: Socket) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const probe = createTcpProbe();
const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('the default probe over plain TCP', () => {
  it('accepts IMAP with STARTTLS listed in the greeting, without sending anything but LOGOUT', async () => {
    const heard: string[] = [];
    const greeting = '* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Fake ready\r\n';
    const port = await listen(createServer(speak(greeting, () => undefined, heard)));
    expect(await probe('127.0.0.1', port, 'starttls', 2000)).toBe(true);
    await waitFor(() => heard.length > 0);
    expect(heard).toEqual(['a LOGOUT']);
  });

  it('asks IMAP for its CAPABILITY when the greeting does not say, and needs STARTTLS in it', async () => {
    const heard: string[] = [];
    const capability = (caps: string) => (l: string) =>
      l === 'a CAPABILITY' ? `* CAPABILITY ${caps}\r\na OK done\r\n` : undefined;
    const withTls = await listen(
      createServer(speak('* OK Fake IMAP ready\r\n', capability('IMAP4rev1 STARTTLS AUTH=PLAIN'), heard)),
    );
    const without = await listen(createServer(speak('* OK Fake IMAP ready\r\n', capability('IMAP4rev1 AUTH=PLAIN'))));
    expect(await probe('127.0.0.1', withTls, 'starttls', 2000)).toBe(true);
    expect(heard[0]).toBe('a CAPABILITY');
    expect(await probe('127.0.0.1', without, 'starttls', 2000)).toBe(false);
    expect(await probe('127.0.0.1', without, 'none', 2000)).toBe(true);
  });

  it('sends SMTP EHLO after a multi-line greeting and looks for STARTTLS among the extensions', async () => {
    const heard: string[] = [];
    const ehlo = (tls: boolean) => (l: string) =>
      l.startsWith('EHLO ') ? `250-fake.test\r\n250-PIPELINING\r\n${tls ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n` : undefined;
    const withTls = await listen(createServer(speak('220-fake.test ESMTP\r\n220 welcome\r\n', ehlo(true), heard)));
    const without = await listen(createServer(speak('220 fake.test ESMTP\r\n', ehlo(false))));
    expect(await probe('127.0.0.1', withTls, 'starttls', 2000)).toBe(true);
    expect(heard[0]).toBe('EHLO [127.0.0.1]');
    expect(await probe('127.0.0.1', without, 'starttls', 2000)).toBe(false);
  });

  it('says no to a non-mail service, a silent one (after the timeout) and a closed port', async () => {
    const ssh = await listen(createServer(speak('SSH-2.0-OpenSSH_9.6\r\n', () => undefined)));
    const silent = await listen(createServer(speak(null, () => undefined)));
    const closed = await listen(createServer());
    await new Promise((r) => servers.pop()!.close(r));
    expect(await probe('127.0.0.1', ssh, 'none', 2000)).toBe(false);
    const started = Date.now();
    expect(await probe('127.0.0.1', silent, 'starttls', 200)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await probe('127.0.0.1', closed, 'tls', 2000)).toBe(false);
  });
});

/** A throwaway self-signed certificate for 127.0.0.1, when the openssl CLI is at hand. */
function selfSigned(): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-probe-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore', timeout: 10_000 });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tlsPair = selfSigned();

describe.skipIf(!tlsPair)('the default probe over TLS', () => {
  it('verifies the certificate: trusted with its CA, refused without', async () => {
    const { key, cert } = tlsPair!;
    const port = await listen(createTlsServer({ key, cert }, speak('* OK Fake IMAPS ready\r\n', () => undefined)));
    expect(await createTcpProbe({ ca: cert })('127.0.0.1', port, 'tls', 2000)).toBe(true);
    expect(await probe('127.0.0.1', port, 'tls', 2000)).toBe(false);
  });
});
