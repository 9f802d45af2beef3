/**
 * A bench page on its own: `entry` bundled by Vite into one script and served with an empty
 * HTML page on 127.0.0.1 (the isolated measurements: idb-writes.ts, unified-window.ts).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';

export interface ServedPage {
  url: string;
  close(): void;
}

export async function servePage(entry: string): Promise<ServedPage> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petrel-bench-page-'));
  const server = http.createServer((req, res) => {
    if (req.url === '/page.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(fs.readFileSync(path.join(dir, 'page.js')));
    } else if (req.url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><script src="/page.js"></script>');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  const close = () => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        outDir: dir,
        emptyOutDir: false,
        minify: true,
        lib: { entry: path.resolve(entry), formats: ['iife'], name: 'benchPage', fileName: () => 'page.js' },
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  } catch (e) {
    close();
    throw e;
  }
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, close };
}
