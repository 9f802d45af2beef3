import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectCertificate } from './inspect-certificate';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A server that accepts connections and never says a word (no TLS handshake, no greeting). */
async function silentServer(): Promise<{ port: number; closed: Promise<void> }> {
  let onClose!: () => void;
  const closed = new Promise<void>((r) => (onClose = r));
  server = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.on('close', onClose);
    socket.resume(); // reads (and drops) what comes, so the client's end is noticed
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, closed };
}

describe('inspectCertificate', () => {
  it.each(['tls', 'starttls'] as const)('gives up on a silent server (%s) and closes its connection', async (security) => {
    const { port, closed } = await silentServer();
    await expect(inspectCertificate('127.0.0.1', port, security, 'imap', 200)).rejects.toThrow('timed out reading the certificate');
    // The server sees the connection end: nothing is left open behind the error.
    await expect(Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 2000))])).resolves.toBe('closed');
  });

  it('reports a refused connection as an error', async () => {
    const { port } = await silentServer();
    await new Promise((r) => server!.close(r));
    server = undefined;
    await expect(inspectCertificate('127.0.0.1', port, 'tls', 'imap', 2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
