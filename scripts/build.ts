/**
 * Builds everything with Vite, no Electron binary needed:
 *   out/renderer  the React app (served by the host and loaded by Electron)
 *   out/main      Electron main process (ESM)
 *   out/preload   the sandboxed preload (CommonJS: sandboxed preloads cannot be ESM)
 *   out/host      the Node host (`npm run serve`)
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { build, type InlineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};
const define = { __PETREL_VERSION__: JSON.stringify(pkg.version) };
// Node-side bundles keep npm packages and builtins external: they load from node_modules.
const external = [
  'electron',
  ...Object.keys(pkg.dependencies),
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
];
const isExternal = (id: string) => external.some((e) => id === e || id.startsWith(`${e}/`));

function nodeBundle(entry: string, outDir: string, format: 'es' | 'cjs', fileName: string): InlineConfig {
  return {
    configFile: false,
    logLevel: 'warn',
    define,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'node20',
      ssr: true,
      sourcemap: true,
      minify: false,
      rollupOptions: {
        input: entry,
        external: isExternal,
        // The entries load the rest as a chunk (main.ts, host.ts): named, next to them.
        output: { format, entryFileNames: fileName, chunkFileNames: '[name].js' },
      },
    },
  };
}

async function main(): Promise<void> {
  await rm('out', { recursive: true, force: true });
  await build({
    configFile: false,
    root: 'renderer',
    base: './',
    logLevel: 'warn',
    plugins: [react()],
    define,
    build: { outDir: '../out/renderer', emptyOutDir: true, target: 'chrome120', sourcemap: true },
  });
  await build(nodeBundle('electron/main/main.ts', 'out/main', 'es', 'main.js'));
  await build(nodeBundle('electron/preload/preload.ts', 'out/preload', 'cjs', 'preload.cjs'));
  await build(nodeBundle('electron/host/host.ts', 'out/host', 'es', 'host.js'));
  process.stdout.write('Built out/renderer, out/main, out/preload, out/host\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`Build failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
