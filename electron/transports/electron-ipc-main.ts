import { ipcMain, type IpcMainEvent, type WebContents } from 'electron';
import type { Logger } from '../core/log';
import { PIPE_CHANNEL } from '../../shared/ipc/pipe';
import type { Transport } from '../../shared/ipc/transport';
import { PipeSessions } from './pipe-sessions';
import { checkSender, type SenderFacts } from './sender-check';

export interface ElectronIpcOptions {
  /** Origins a window's top frame may have to talk to the engine (app://petrel, dev server). */
  allowedOrigins: readonly string[];
  /** Each new RPC session from a window: serve it (`server.attach`). */
  onTransport(transport: Transport): void;
  log: Logger;
}

export interface ElectronIpc {
  /** Accepts RPC sessions from this window's top frame for as long as it lives. */
  register(contents: WebContents): void;
  dispose(): void;
}

/** Warnings per window about dropped messages; a misbehaving page cannot flood the log. */
const MAX_DROP_LOGS = 20;

/**
 * The main-process end of the Electron transport: one `ipcMain` listener on the pipe
 * channel, routed by `event.sender.id` to the window's sessions. A session ends (so the
 * RPC server cancels its calls and subscriptions) when the page ends it, navigates,
 * crashes or closes.
 */
export function serveElectronIpc({ allowedOrigins, onTransport, log }: ElectronIpcOptions): ElectronIpc {
  const pages = new Map<number, { contents: WebContents; sessions: PipeSessions; drops: number }>();

  const onMessage = (event: IpcMainEvent, raw: unknown) => {
    const page = pages.get(event.sender.id);
    const verdict = checkSender(senderFacts(event, page?.contents), allowedOrigins);
    let reason = verdict.ok ? undefined : verdict.reason;
    if (page && verdict.ok && !page.sessions.receive(raw)) reason = 'malformed frame or ended session';
    if (reason === undefined) return;
    const drops = page ? ++page.drops : 0;
    if (drops <= MAX_DROP_LOGS) log.warn(`dropped a message on ${PIPE_CHANNEL}: ${reason}`, { webContents: event.sender.id });
  };
  ipcMain.on(PIPE_CHANNEL, onMessage);

  return {
    register(contents) {
      if (pages.has(contents.id)) return;
      const sessions = new PipeSessions({
        send: (frame) => {
          // webContents.send reaches the top frame only, never an iframe.
          if (!contents.isDestroyed()) contents.send(PIPE_CHANNEL, frame);
        },
        onSession: onTransport,
      });
      pages.set(contents.id, { contents, sessions, drops: 0 });
      // A new document (reload, navigation) starts over: close the old one's sessions at
      // the start and again at commit (the old page may have reconnected in between).
      contents.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) sessions.closeAll('the page navigated', true);
      });
      contents.on('did-navigate', () => sessions.closeAll('the page navigated', true));
      contents.on('render-process-gone', (_event, details) =>
        sessions.closeAll(`the window's process is gone (${details.reason})`, false),
      );
      contents.once('destroyed', () => {
        sessions.closeAll('the window closed', false);
        pages.delete(contents.id);
      });
    },
    dispose() {
      ipcMain.removeListener(PIPE_CHANNEL, onMessage);
      for (const page of pages.values()) page.sessions.closeAll('the engine is shutting down', true);
      pages.clear();
    },
  };
}

function senderFacts(event: IpcMainEvent, registered: WebContents | undefined): SenderFacts {
  try {
    const frame = event.senderFrame;
    const alive = frame !== null && !frame.isDestroyed();
    return {
      registered: registered !== undefined && registered === event.sender,
      frameAlive: alive,
      topFrame: alive && frame.parent === null,
      origin: alive ? frame.origin : '',
    };
  } catch {
    // Electron throws when a frame is disposed between the check and the access.
    return { registered: false, frameAlive: false, topFrame: false, origin: '' };
  }
}
