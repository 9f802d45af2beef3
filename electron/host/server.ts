import { timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { WebSocketServer } from 'ws';
import type { Transport } from '../../shared/ipc/transport';
import { websocketServerTransport } from '../transports/websocket-server';
import { contentSecurityPolicy } from '../main/csp';
import { isLoopback } from './args';

export const RPC_PATH = '/rpc';
export const SESSION_PATH = '/api/session';
/** A sync batch can be large; anything past this is not a message we send. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface HostServerOptions {
  host: string;
  port: number;
  token: string;
  /** The built renderer (index.html and assets); undefined serves the API only. */
  rendererDir: string | undefined;
  /** Serves one RPC connection (the engine's RpcServer.attach). */
  attach: (transport: Transport) => void;
  onWarning?: (message: string) => void;
}

export interface HostServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The Node host's HTTP side: serves the renderer and upgrades /rpc to the WebSocket
 * transport. Every RPC connection must present the session token; the Host header is
 * checked (DNS rebinding) and so is the Origin (cross-site WebSocket hijacking).
 */
export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const allowedHosts = (port: number): Set<string> =>
    new Set(
      isLoopback(options.host)
        ? [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]
        : [`${options.host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`],
    );
  let port = options.port;

  const hostOk = (req: IncomingMessage) => allowedHosts(port).has((req.headers.host ?? '').toLowerCase());
  const originOk = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser: the token alone decides
    try {
      return allowedHosts(port).has(new URL(origin).host);
    } catch {
      return false;
    }
  };

  server.on('request', (req, res) => {
    void handleHttp(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostOk(req)) return deny(res, 421, 'Unknown host.');
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname === SESSION_PATH) {
      // Lets the app tell "wrong token" from "host down", which a failed WebSocket hides.
      const auth = req.headers.authorization ?? '';
      const ok = auth.startsWith('Bearer ') && tokenMatches(options.token, auth.slice(7));
      res.writeHead(ok ? 204 : 401, { 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed.');
    if (!options.rendererDir) return deny(res, 404, 'Not found.');
    await serveStatic(options.rendererDir, url.pathname, req, res, port);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== RPC_PATH) return refuse(404, 'Not Found');
    if (!hostOk(req) || !originOk(req)) return refuse(403, 'Forbidden');
    if (!tokenMatches(options.token, url.searchParams.get('token'))) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => options.attach(websocketServerTransport(ws)));
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = isLoopback(options.host) ? '127.0.0.1' : options.host;
  return {
    port,
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/?token=${options.token}`,
    close: () => closeServer(server, wss),
  };
}

function deny(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

async function serveStatic(
  root: string,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
): Promise<void> {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return deny(res, 400, 'Bad path.');
  }
  if (rel.includes('\0')) return deny(res, 400, 'Bad path.');
  const base = resolve(root);
  let file = resolve(base, `.${rel}`);
  if (file !== base && !file.startsWith(base + sep)) return deny(res, 403, 'Forbidden.');
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    file = resolve(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (!info?.isFile()) {
    // The app routes on the client: unknown paths without an extension get the app.
    if (extname(rel) !== '') return deny(res, 404, 'Not found.');
    file = resolve(base, 'index.html');
    info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return deny(res, 404, 'The app is not built: run `npm run build`.');
  }
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const headers: Record<string, string | number> = {
    'Content-Type': type,
    'Content-Length': info.size,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': file.endsWith('.html') ? 'no-store' : 'public, max-age=31536000, immutable',
  };
  if (type.startsWith('text/html')) {
    headers['Content-Security-Policy'] = contentSecurityPolicy({
      connectSrc: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`],
    });
    headers['X-Frame-Options'] = 'DENY';
  }
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

function closeServer(server: Server, wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  wss.close();
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    server.closeAllConnections();
  });
}
