/**
 * Where the time goes: CPU profiles of the host (node --cpu-prof) and the renderer (CDP
 * Profiler) during an initial sync, reduced to self time per source file (through the
 * builds' source maps, so the minified renderer bundle maps back to its modules) and per
 * function.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AppSession } from './app';
import { say } from './setup';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

export type ProfileStopper = () => Promise<CpuProfile>;

/** Starts the CDP profiler of the page (0.5 ms sampling); the returned function stops it. */
export async function startRendererProfile(session: AppSession): Promise<ProfileStopper> {
  await session.cdp.send('Profiler.enable');
  await session.cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await session.cdp.send('Profiler.start');
  return async () => (await session.cdp.send('Profiler.stop')).profile as unknown as CpuProfile;
}

// -- source maps (just enough: generated line/column → source index) -------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

interface SourceMap {
  sources: string[];
  /** Per generated line: [column, source index] pairs, by column. */
  lines: Array<Array<[number, number]>>;
}

function decodeMap(file: string): SourceMap | null {
  if (!fs.existsSync(file)) return null;
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { sources: string[]; mappings: string };
  const lines: SourceMap['lines'] = [];
  let src = 0;
  for (const line of raw.mappings.split(';')) {
    const out: Array<[number, number]> = [];
    let col = 0;
    for (const seg of line.split(',')) {
      if (!seg) continue;
      const values: number[] = [];
      let shift = 0;
      let value = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      col += values[0] ?? 0;
      if (values.length >= 4) {
        src += values[1]!;
        out.push([col, src]);
      }
    }
    lines.push(out);
  }
  return { sources: raw.sources, lines };
}

function sourceAt(map: SourceMap, line: number, column: number): string | null {
  const segs = map.lines[line];
  if (!segs || segs.length === 0) return null;
  let lo = 0;
  let hi = segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segs[mid]![0] <= column) lo = mid;
    else hi = mid - 1;
  }
  return map.sources[segs[lo]![1]] ?? null;
}

/** A readable group for a source: the npm package, or the file under the project. */
function groupOf(source: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (pkg) return pkg[1]!;
  return source.replace(/^(\.\.\/)+/, '').replace(/^.*?\/(electron|renderer|shared)\//, '$1/');
}

function mapFor(url: string, cache: Map<string, SourceMap | null>): SourceMap | null {
  let file: string | null = null;
  if (url.startsWith('file://')) file = `${new URL(url).pathname}.map`;
  else if (/^https?:\/\/[^/]+\/assets\//.test(url)) file = path.resolve('out/renderer/assets', `${path.basename(new URL(url).pathname)}.map`);
  if (!file) return null;
  if (!cache.has(file)) cache.set(file, decodeMap(file));
  return cache.get(file) ?? null;
}

/** The top groups and functions by self time, as report lines. */
export function summarize(label: string, profile: CpuProfile, top = 10): string[] {
  const cache = new Map<string, SourceMap | null>();
  const byNode = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byNode.get(profile.samples[i]!);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!frame || frame.functionName === '(idle)') continue;
    total += dt;
    let group: string;
    if (frame.url === '') group = frame.functionName || '(native)';
    else if (frame.url.startsWith('node:')) group = 'node internals';
    else {
      const map = mapFor(frame.url, cache);
      const source = map ? sourceAt(map, frame.lineNumber, frame.columnNumber) : null;
      group = source ? groupOf(source) : groupOf(frame.url);
    }
    groups.set(group, (groups.get(group) ?? 0) + dt);
    const fn = `${frame.functionName || '(anonymous)'} [${group}]`;
    functions.set(fn, (functions.get(fn) ?? 0) + dt);
  }
  const fmt = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `${k} ${Math.round(ms)} ms (${Math.round((100 * ms) / Math.max(1, total))}%)`)
      .join('; ');
  return [
    `${label}: ${Math.round(total)} ms on the CPU (idle excluded). By source: ${fmt(groups)}.`,
    `${label}, by function (self time): ${fmt(functions)}.`,
  ];
}

/** Summaries of the host profile (newest .cpuprofile in `dir`) and the renderer's. */
export async function profileSummary(dir: string, renderer: CpuProfile | null, hostLabel = 'Host CPU profile (whole host life: add account, initial sync)'): Promise<string[]> {
  const lines: string[] = [];
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  const newest = files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  if (newest) lines.push(...summarize(hostLabel, JSON.parse(fs.readFileSync(newest, 'utf8')) as CpuProfile));
  else lines.push('Host CPU profile: none written.');
  if (renderer) lines.push(...summarize('Renderer CPU profile (add account → all headers stored)', renderer));
  return lines;
}

/** Copies the host's .cpuprofile files and the renderer's profile to `out` (for DevTools). */
export async function keepProfiles(dir: string, renderer: CpuProfile | null, out: string): Promise<void> {
  await fs.promises.mkdir(out, { recursive: true });
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')) : []) {
    await fs.promises.copyFile(path.join(dir, f), path.join(out, `host-${f}`));
  }
  if (renderer) await fs.promises.writeFile(path.join(out, 'renderer.cpuprofile'), JSON.stringify(renderer));
  say(`  raw profiles kept in ${out}`);
}
