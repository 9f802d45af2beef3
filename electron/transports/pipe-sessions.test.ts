import { describe, expect, it, vi } from 'vitest';
import { createPipeTransport } from '../../renderer/src/ipc/pipe-transport';
import type { PetrelPipe, PipeFrame } from '../../shared/ipc/pipe';
import { Connection } from '../../shared/ipc/connection';
import { RpcServer } from '../../shared/ipc/rpc-server';
import { describeRpcConformance, testContract } from '../../shared/ipc/testing/conformance';
import type { Transport } from '../../shared/ipc/transport';
import { PipeSessions } from './pipe-sessions';

/**
 * A stand-in for preload + ipcRenderer + ipcMain: frames are structured-cloned and
 * delivered asynchronously and in order, as Electron IPC does.
 */
function fakeIpc(onSession: (t: Transport) => void) {
  const pageListeners = new Set<(m: unknown) => void>();
  const toMain: unknown[] = [];
  const sessions = new PipeSessions({
    send: (frame) => {
      const copy = structuredClone(frame);
      setTimeout(() => {
        for (const l of [...pageListeners]) l(copy);
      }, 0);
    },
    onSession,
  });
  const pipe: PetrelPipe = {
    send(message) {
      const copy = structuredClone(message);
      toMain.push(copy);
      setTimeout(() => sessions.receive(copy), 0);
    },
    onMessage(listener) {
      pageListeners.add(listener);
      return () => pageListeners.delete(listener);
    },
  };
  /** Sends a frame to the page as if from the main process. */
  const fromMain = (frame: unknown) => setTimeout(() => pageListeners.forEach((l) => l(frame)), 0);
  return { pipe, sessions, toMain, pageListeners, fromMain };
}

describeRpcConformance('the Electron pipe (sessions)', async (server) => {
  const { pipe } = fakeIpc((t) => server.attach(t));
  return createPipeTransport(pipe);
});

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('PipeSessions', () => {
  it('opens a transport for a new session and routes its frames', async () => {
    const opened: Transport[] = [];
    const { pipe, sessions } = fakeIpc((t) => opened.push(t));
    const a = createPipeTransport(pipe, 'a');
    const b = createPipeTransport(pipe, 'b');
    a.send({ n: 1 });
    b.send({ n: 2 });
    await tick();
    expect(opened).toHaveLength(2);
    expect(sessions.size).toBe(2);
    const [mainA, mainB] = opened as [Transport, Transport];
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    a.onMessage((m) => gotA.push(m));
    b.onMessage((m) => gotB.push(m));
    mainA.send({ to: 'a' });
    mainB.send({ to: 'b' });
    await tick();
    expect(gotA).toEqual([{ to: 'a' }]);
    expect(gotB).toEqual([{ to: 'b' }]);
  });

  it('closes the main side when the page ends a session, and ignores its late frames', async () => {
    const opened: Transport[] = [];
    const { pipe, sessions } = fakeIpc((t) => opened.push(t));
    const a = createPipeTransport(pipe, 'a');
    a.send({ n: 1 });
    await tick();
    const closed = vi.fn();
    opened[0]?.onClose(closed);
    a.close('client closed');
    await tick();
    expect(closed).toHaveBeenCalledWith('client closed');
    expect(sessions.size).toBe(0);
    // A frame of the ended session (say, still in flight) must not reopen it.
    expect(sessions.receive({ s: 'a', m: { n: 2 } })).toBe(false);
    expect(opened).toHaveLength(1);
  });

  it('tells the page when the main side closes, and then refuses to send', async () => {
    const opened: Transport[] = [];
    const { pipe } = fakeIpc((t) => opened.push(t));
    const a = createPipeTransport(pipe, 'a');
    const closed = new Promise<string>((r) => a.onClose(r));
    a.send({ n: 1 });
    await tick();
    opened[0]?.close('PROTOCOL_MISMATCH');
    await expect(closed).resolves.toBe('PROTOCOL_MISMATCH');
    expect(() => a.send({ n: 2 })).toThrow(/closed/);
    expect(() => opened[0]?.send({ n: 3 })).toThrow(/closed/);
  });

  it('closeAll ends every session (navigation, crash) and notifies only when asked', async () => {
    const opened: Transport[] = [];
    const { pipe, sessions, pageListeners } = fakeIpc((t) => opened.push(t));
    const a = createPipeTransport(pipe, 'a');
    const aClosed = new Promise<string>((r) => a.onClose(r));
    a.send({ n: 1 });
    await tick();
    const mainClosed = vi.fn();
    opened[0]?.onClose(mainClosed);
    sessions.closeAll('the page navigated', true);
    expect(mainClosed).toHaveBeenCalledWith('the page navigated');
    await expect(aClosed).resolves.toBe('the page navigated');
    // The renderer transport stops listening once closed.
    expect(pageListeners.size).toBe(0);
  });

  it('ignores frames for other sessions and malformed frames on the page side', async () => {
    const { pipe, fromMain } = fakeIpc(() => undefined);
    const a = createPipeTransport(pipe, 'a');
    const got = vi.fn();
    const closed = vi.fn();
    a.onMessage(got);
    a.onClose(closed);
    fromMain({ s: 'b', m: { t: 'res', id: 1 } });
    fromMain({ s: 'b', end: 'x' });
    fromMain({ s: 'a' });
    fromMain('nonsense');
    fromMain({ s: 'a', m: { ok: true } });
    await tick();
    expect(got).toHaveBeenCalledTimes(1);
    expect(got).toHaveBeenCalledWith({ ok: true });
    expect(closed).not.toHaveBeenCalled();
  });

  it('refuses malformed frames from the page', () => {
    const onSession = vi.fn();
    const sessions = new PipeSessions({ send: () => undefined, onSession });
    for (const bad of [null, 'x', [], {}, { s: '' }, { s: 'a' }, { s: 'a', m: 'text' }, { s: 'a b', m: {} }, { s: 'x'.repeat(65), m: {} }]) {
      expect(sessions.receive(bad)).toBe(false);
    }
    expect(onSession).not.toHaveBeenCalled();
  });

  it('caps the live sessions per page, closing the oldest', () => {
    const opened: Transport[] = [];
    const sent: PipeFrame[] = [];
    const sessions = new PipeSessions({ send: (f) => sent.push(f), onSession: (t) => opened.push(t), maxSessions: 2 });
    const closed = vi.fn();
    sessions.receive({ s: 's1', m: {} });
    opened[0]?.onClose(closed);
    sessions.receive({ s: 's2', m: {} });
    sessions.receive({ s: 's3', m: {} });
    expect(sessions.size).toBe(2);
    expect(closed).toHaveBeenCalledWith('too many sessions');
    expect(sent).toContainEqual({ s: 's1', end: 'too many sessions' });
  });

  it('lets a reconnecting page start a new session after the old one ended', async () => {
    const opened: Transport[] = [];
    const { pipe } = fakeIpc((t) => opened.push(t));
    const first = createPipeTransport(pipe);
    first.send({ n: 1 });
    await tick();
    first.close('lost');
    const second = createPipeTransport(pipe);
    second.send({ n: 2 });
    await tick();
    expect(opened).toHaveLength(2);
    const got = vi.fn();
    second.onMessage(got);
    opened[1]?.send({ hello: 'again' });
    await tick();
    expect(got).toHaveBeenCalledWith({ hello: 'again' });
  });

  it('a reconnecting Connection survives the main side ending its session (e.g. reload start)', async () => {
    const server = new RpcServer(testContract, { name: 'engine' }).handle({ add: ({ a, b }) => ({ sum: a + b }) });
    const sources = new Set<(n: number) => void>();
    server.provide({
      counter: (_p, emit) => {
        const f = (n: number) => emit({ n });
        sources.add(f);
        return () => sources.delete(f);
      },
    });
    const { pipe, sessions } = fakeIpc((t) => server.attach(t));
    const conn = new Connection(testContract, async () => createPipeTransport(pipe), {
      clientName: 'test',
      baseDelayMs: 2,
      random: () => 0,
    });
    const got: number[] = [];
    conn.subscribe('counter', { from: 0 }, { next: (d) => got.push(d.n) });
    await expect(conn.call('add', { a: 1, b: 2 })).resolves.toEqual({ sum: 3 });
    await vi.waitFor(() => expect(sources.size).toBe(1));

    sessions.closeAll('the page navigated', true);
    // The server stopped the old subscription at once; the page reconnects and resubscribes.
    expect(sources.size).toBe(0);
    await vi.waitFor(() => expect(conn.state.status).toBe('connected'));
    await vi.waitFor(() => expect(sources.size).toBe(1));
    await expect(conn.call('add', { a: 2, b: 2 })).resolves.toEqual({ sum: 4 });
    for (const emit of sources) emit(7);
    await vi.waitFor(() => expect(got).toEqual([7]));
    expect(server.connectionCount).toBe(1);
    conn.close();
    await vi.waitFor(() => expect(server.connectionCount).toBe(0));
  });
});
