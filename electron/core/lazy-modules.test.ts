import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Runs the engine's entry in a fresh Node (through tsx) and lists which of the lazy libraries are loaded when. */
function loadedLibraries(): { atStart: string[]; afterUse: string[] } {
  // Modules loaded through import() (nodemailer is ESM) are listed by a resolve hook, those
  // loaded by require() by require.cache.
  const script = `
    import { createRequire, register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const require = createRequire(import.meta.url);
    const resolved = new Set();
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (url) => resolved.add(url));
    port1.unref();
    const hook = 'let port; export function initialize(d) { port = d.port; } ' +
      'export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }';
    register('data:text/javascript,' + encodeURIComponent(hook), import.meta.url, { data: { port: port2 }, transferList: [port2] });
    const settle = () => new Promise((r) => setTimeout(r, 100));
    const loaded = () => [...new Set([...Object.keys(require.cache), ...resolved]
      .filter((k) => /node_modules[\\/](mailparser|nodemailer)[\\/]/.test(k))
      .map((k) => k.split(/node_modules[\\/]/).pop().split(/[\\/]/)[0]))].sort();
    await import(${JSON.stringify(path.join(root, 'electron/core/engine.ts'))});
    await settle();
    const atStart = loaded();
    const lazy = await import(${JSON.stringify(path.join(root, 'electron/core/lazy-modules.ts'))});
    await lazy.mailparser();
    await lazy.mailComposer();
    await lazy.smtpConnection();
    await settle();
    console.log(JSON.stringify({ atStart, afterUse: loaded() }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { atStart: string[]; afterUse: string[] };
}

describe('libraries loaded on first use', () => {
  it('the engine starts without mailparser and nodemailer, and loads them when first needed', () => {
    const { atStart, afterUse } = loadedLibraries();
    expect(atStart).toEqual([]);
    expect(afterUse).toEqual(['mailparser', 'nodemailer']);
  }, 30_000);
});
