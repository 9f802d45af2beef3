import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contract } from '../../shared/contract';
import { RpcClient } from '../../shared/ipc/rpc-client';
import { describeRpcConformance } from '../../shared/ipc/testing/conformance';
import { Engine, createRpcServer } from '../core/engine';
import { connectWebSocketNode } from '../transports/websocket-client';
import { RPC_PATH, SESSION_PATH, startHostServer, type HostServer } from './server';

const TOKEN = 'a'.repeat(48);
const servers: HostServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function start(attach: Parameters<typeof startHostServer>[0]['attach'], rendererDir?: string) {
  const s = await startHostServer({ host: '127.0.0.1', port: 0, token: TOKEN, rendererDir, attach });
  servers.push(s);
  return s;
}

describeRpcConformance('a real WebSocket through the host', async (rpc) => {
  const s = await start((t) => rpc.attach(t));
  return connectWebSocketNode(`ws://127.0.0.1:${s.port}${RPC_PATH}?token=${TOKEN}`);
});

describe('the Node host', () => {
  it('prints a loopback URL carrying the token', async () => {
    const s = await start(() => undefined);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/?token=${TOKEN}`);
  });

  it('refuses an RPC connection with a missing or wrong token', async () => {
    const s = await start(() => {
      throw new Error('must not attach');
    });
    await expect(connectWebSocketNode(`ws://127.0.0.1:${s.port}${RPC_PATH}`)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(
      connectWebSocketNode(`ws://127.0.0.1:${s.port}${RPC_PATH}?token=${'b'.repeat(48)}`),
    ).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(connectWebSocketNode(`ws://127.0.0.1:${s.port}${RPC_PATH}?token=short`)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('refuses a cross-site origin and a foreign Host header even with the token', async () => {
    const s = await start(() => undefined);
    const url = `ws://127.0.0.1:${s.port}${RPC_PATH}?token=${TOKEN}`;
    await expect(connectWebSocketNode(url, { Origin: 'https://evil.example' })).rejects.toMatchObject({
      details: { status: 403 },
    });
    await expect(connectWebSocketNode(url, { Host: 'evil.example' })).rejects.toMatchObject({
      details: { status: 403 },
    });
  });

  it('serves the engine contract over the socket', async () => {
    const engine = new Engine({ dataDir: tmpdir(), version: '1.2.3' });
    const rpc = createRpcServer(engine, 'websocket');
    const s = await start((t) => rpc.attach(t));
    const client = new RpcClient(
      contract,
      await connectWebSocketNode(`ws://127.0.0.1:${s.port}${RPC_PATH}?token=${TOKEN}`),
    );
    await expect(client.call('app.info', {})).resolves.toMatchObject({ version: '1.2.3', transport: 'websocket' });
    await expect(client.call('app.ping', { text: 'x'.repeat(1001) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    client.close();
  });

  it('answers the session check by token, and serves the app with a strict CSP', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'petrel-renderer-'));
    dirs.push(dir);
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Petrel</title>');
    const s = await start(() => undefined, dir);
    const base = `http://127.0.0.1:${s.port}`;
    expect((await fetch(`${base}${SESSION_PATH}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(204);
    expect((await fetch(`${base}${SESSION_PATH}`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(page.headers.get('content-security-policy')).toContain(`ws://127.0.0.1:${s.port}`);
    expect(await page.text()).toContain('<title>Petrel</title>');
    expect((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status).toBe(403);
    expect((await fetch(`${base}/missing.js`)).status).toBe(404);
  });
});
