/**
 * The sandboxed preload: the renderer's only way to the engine. It runs in an isolated
 * world and exposes exactly one narrow pipe, never ipcRenderer or IPC event objects
 * (which would let the page send on any channel or reach the sender).
 *
 * A sandboxed preload can require nothing but `electron`: keep imports to `electron`
 * and files the bundler inlines (shared/ipc/pipe.ts imports nothing).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { PIPE_CHANNEL, type PetrelPipe } from '../../shared/ipc/pipe';

const pipe: PetrelPipe = {
  send(message: unknown): void {
    // The pipe carries frames, which are plain objects; anything else is a bug or worse.
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new TypeError('petrelPipe.send takes a plain object');
    }
    ipcRenderer.send(PIPE_CHANNEL, message);
  },
  onMessage(listener: (message: unknown) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('petrelPipe.onMessage takes a function');
    // Pass the data only: the event object carries the sender and ports.
    const forward = (_event: IpcRendererEvent, message: unknown) => listener(message);
    ipcRenderer.on(PIPE_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(PIPE_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('petrelPipe', pipe);
