import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { event, method, type Contract } from '../../contract/define';
import { PetrelError } from '../../errors';
import { RpcClient } from '../rpc-client';
import { RpcServer } from '../rpc-server';
import type { Transport } from '../transport';
import { PROTOCOL_VERSION } from '../protocol';

/**
 * One behaviour suite for the RPC layer, run over every transport (in-memory, real
 * WebSocket...), so "one contract, two transports" is proven, not assumed.
 */
export type ConnectTransport = (server: RpcServer<typeof testContract>) => Promise<Transport>;

export const testContract = {
  methods: {
    add: method(z.object({ a: z.number(), b: z.number() }).strict(), z.object({ sum: z.number() })),
    fail: method(z.object({}), z.null()),
    crash: method(z.object({}), z.null()),
    slow: method(z.object({ ms: z.number() }), z.object({ done: z.boolean() })),
    lies: method(z.object({}), z.object({ n: z.number() })),
  },
  events: {
    counter: event(z.object({ from: z.number().int() }), z.object({ n: z.number().int() })),
  },
} as const satisfies Contract;

async function setup(connect: ConnectTransport) {
  const internal = vi.fn();
  const server = new RpcServer(testContract, { name: 'test-server', onInternalError: internal });
  const emitters = new Set<() => void>();
  const stopped = vi.fn();
  let slowSignal: AbortSignal | undefined;
  server
    .handle({
      add: ({ a, b }) => ({ sum: a + b }),
      fail: () => {
        throw new PetrelError('AUTH_FAILED', 'The server rejected the password.', { host: 'imap.example' });
      },
      crash: () => {
        throw new Error('secret /home/alice/path');
      },
      slow: ({ ms }, { signal }) =>
        new Promise((resolve, reject) => {
          slowSignal = signal;
          const t = setTimeout(() => resolve({ done: true }), ms);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(signal.reason);
          });
        }),
      lies: () => ({ n: 'not a number' }) as unknown as { n: number },
    })
    .provide({
      counter: ({ from }, emit) => {
        let n = from;
        const e = () => emit({ n: n++ });
        emitters.add(e);
        return () => {
          emitters.delete(e);
          stopped();
        };
      },
    });
  const a = await connect(server);
  const client = new RpcClient(testContract, a, 'test-client');
  return { server, client, emitters, stopped, internal, transport: a, slowSignal: () => slowSignal };
}


export function describeRpcConformance(transportName: string, connect: ConnectTransport): void {
describe(`RPC over ${transportName}`, () => {
  it('shakes hands and answers a call', async () => {
    const { client } = await setup(connect);
    await expect(client.handshake()).resolves.toBe('test-server');
    await expect(client.call('add', { a: 2, b: 3 })).resolves.toEqual({ sum: 5 });
  });

  it('returns errors as data with their stable code and details', async () => {
    const { client } = await setup(connect);
    const err = await client.call('fail', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PetrelError);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', message: 'The server rejected the password.' });
    expect((err as PetrelError).details).toEqual({ host: 'imap.example' });
  });

  it('hides internal errors behind INTERNAL and reports them locally', async () => {
    const { client, internal } = await setup(connect);
    const err = (await client.call('crash', {}).catch((e: unknown) => e)) as PetrelError;
    expect(err.code).toBe('INTERNAL');
    expect(err.message).not.toContain('/home/alice');
    expect(internal).toHaveBeenCalledOnce();
  });

  it('rejects input that fails the schema with a clear message naming the field', async () => {
    const { client } = await setup(connect);
    const err = (await client
      .call('add', { a: 1, b: 'two' } as unknown as { a: number; b: number })
      .catch((e: unknown) => e)) as PetrelError;
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/parameters for add/);
    expect(err.message).toMatch(/b:/);
  });

  it('refuses unknown fields in strict params', async () => {
    const { client } = await setup(connect);
    const err = (await client
      .call('add', { a: 1, b: 2, c: 3 } as unknown as { a: number; b: number })
      .catch((e: unknown) => e)) as PetrelError;
    expect(err.code).toBe('BAD_REQUEST');
  });

  it('validates results against the contract on the server side', async () => {
    const { client } = await setup(connect);
    const err = (await client.call('lies', {}).catch((e: unknown) => e)) as PetrelError;
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/result of lies/);
  });

  it('answers METHOD_NOT_FOUND for a method the server does not serve', async () => {
    const a = await connect(new RpcServer(testContract, { name: 's' }));
    const client = new RpcClient(testContract, a);
    await expect(client.call('add', { a: 1, b: 1 })).rejects.toMatchObject({ code: 'METHOD_NOT_FOUND' });
  });

  it('delivers events until unsubscribed, and stops the source', async () => {
    const { client, emitters, stopped } = await setup(connect);
    const got: number[] = [];
    const unsubscribe = await client.subscribe('counter', { from: 10 }, { next: (d) => got.push(d.n) });
    expect(emitters.size).toBe(1);
    for (const e of emitters) {
      e();
      e();
    }
    await vi.waitFor(() => expect(got).toEqual([10, 11]));
    unsubscribe();
    await vi.waitFor(() => expect(stopped).toHaveBeenCalledOnce());
    expect(emitters.size).toBe(0);
  });

  it('refuses a subscription with bad parameters', async () => {
    const { client } = await setup(connect);
    await expect(
      client.subscribe('counter', { from: 1.5 }, { next: () => undefined }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('cancels a call: the caller gets CANCELLED and the handler sees the abort', async () => {
    const { client, slowSignal } = await setup(connect);
    const ac = new AbortController();
    const p = client.call('slow', { ms: 10_000 }, { signal: ac.signal });
    await vi.waitFor(() => expect(slowSignal()).toBeDefined());
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    await vi.waitFor(() => expect(slowSignal()?.aborted).toBe(true));
  });

  it('times out a call', async () => {
    const { client } = await setup(connect);
    await expect(client.call('slow', { ms: 10_000 }, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('fails pending calls and tells subscribers when the transport closes; the server stops sources', async () => {
    const { client, transport, stopped } = await setup(connect);
    const ended = vi.fn();
    await client.subscribe('counter', { from: 0 }, { next: () => undefined, error: ended });
    const p = client.call('slow', { ms: 10_000 });
    await new Promise((r) => setTimeout(r, 5));
    transport.close('test');
    await expect(p).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(ended).toHaveBeenCalledWith(expect.objectContaining({ code: 'DISCONNECTED' }));
    await vi.waitFor(() => expect(stopped).toHaveBeenCalledOnce());
  });

  it('refuses a peer of another protocol version', async () => {
    const a = await connect(new RpcServer(testContract, { name: 's' }));
    const seen: unknown[] = [];
    a.onMessage((m) => seen.push(m));
    const closed = new Promise<string>((r) => a.onClose(r));
    a.send({ t: 'hello', v: PROTOCOL_VERSION + 1, client: 'future' });
    await expect(closed).resolves.toBe('PROTOCOL_MISMATCH');
    expect(seen).toEqual([expect.objectContaining({ t: 'bye', error: expect.objectContaining({ code: 'PROTOCOL_MISMATCH' }) })]);
  });

  it('refuses requests sent before the handshake', async () => {
    const a = await connect(new RpcServer(testContract, { name: 's' }));
    const closed = new Promise<string>((r) => a.onClose(r));
    a.send({ t: 'req', id: 1, method: 'add', params: { a: 1, b: 2 } });
    await expect(closed).resolves.toBe('PROTOCOL_MISMATCH');
  });
});
}
