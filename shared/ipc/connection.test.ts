import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { event, method, type Contract } from '../contract/define';
import { PetrelError } from '../errors';
import { Connection, type ConnectionState } from './connection';
import { createMemoryTransportPair } from './memory-transport';
import { RpcServer } from './rpc-server';
import type { Transport } from './transport';

const c = {
  methods: { echo: method(z.object({ s: z.string() }), z.object({ s: z.string() })) },
  events: { tick: event(z.object({}), z.object({ n: z.number() })) },
} as const satisfies Contract;

function makeServer() {
  const server = new RpcServer(c, { name: 'srv' });
  const emits = new Set<(n: number) => void>();
  server.handle({ echo: ({ s }) => ({ s }) }).provide({
    tick: (_p, emit) => {
      const f = (n: number) => emit({ n });
      emits.add(f);
      return () => emits.delete(f);
    },
  });
  return { server, emits };
}

describe('Connection (reconnecting client)', () => {
  it('reconnects after the transport drops and re-subscribes', async () => {
    const { server, emits } = makeServer();
    let current: Transport | undefined;
    const conn = new Connection(
      c,
      async () => {
        const [a, b] = createMemoryTransportPair();
        server.attach(b);
        current = a;
        return a;
      },
      { clientName: 't', baseDelayMs: 5, maxDelayMs: 20 },
    );
    const states: ConnectionState['status'][] = [];
    conn.onState((s) => states.push(s.status));
    const got: number[] = [];
    conn.subscribe('tick', {}, { next: (d) => got.push(d.n) });
    await expect(conn.call('echo', { s: 'hi' })).resolves.toEqual({ s: 'hi' });
    await vi.waitFor(() => expect(emits.size).toBe(1));
    for (const e of emits) e(1);
    await vi.waitFor(() => expect(got).toEqual([1]));

    current?.close('network');
    await vi.waitFor(() => expect(states).toContain('disconnected'));
    await vi.waitFor(() => expect(conn.state.status).toBe('connected'));
    await vi.waitFor(() => expect(emits.size).toBe(1));
    for (const e of emits) e(2);
    await vi.waitFor(() => expect(got).toEqual([1, 2]));
    await expect(conn.call('echo', { s: 'again' })).resolves.toEqual({ s: 'again' });
    conn.close();
  });

  it('backs off while the engine is unreachable, then connects', async () => {
    const { server } = makeServer();
    let tries = 0;
    const conn = new Connection(
      c,
      async () => {
        tries++;
        if (tries < 3) throw new Error('ECONNREFUSED');
        const [a, b] = createMemoryTransportPair();
        server.attach(b);
        return a;
      },
      { clientName: 't', baseDelayMs: 5, maxDelayMs: 10, random: () => 1 },
    );
    await expect(conn.call('echo', { s: 'x' })).resolves.toEqual({ s: 'x' });
    expect(tries).toBe(3);
    conn.close();
  });

  it('stops retrying when refused for a reason retrying cannot fix', async () => {
    let tries = 0;
    const conn = new Connection(
      c,
      async () => {
        tries++;
        throw new PetrelError('UNAUTHORIZED', 'Wrong token.');
      },
      { clientName: 't', baseDelayMs: 5 },
    );
    await vi.waitFor(() => expect(conn.state.status).toBe('refused'));
    await expect(conn.call('echo', { s: 'x' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await new Promise((r) => setTimeout(r, 30));
    expect(tries).toBe(1);
    conn.close();
  });
});
