/** The run's surroundings: options, the build it measures, versions, progress output. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CHROMIUM } from '../e2e/support/browser';
import type { Series } from './report';

export interface Options {
  quick: boolean;
  size: number;
  runs: number;
  bodies: number;
  bodies100k: boolean;
  build: boolean;
  write: boolean;
  profile: boolean;
  /** Scenarios to run (--only); null: all. The corpus and the initial sync always run. */
  only: ReadonlySet<Scenario> | null;
  /** Where to copy the raw CPU profiles of --profile (otherwise removed with the work folder). */
  profileOut: string | null;
}

export const SCENARIOS = ['sync', 'resync', 'jump', 'push', 'search', 'unified', 'rest', 'bodies'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const USAGE = `npm run bench -- [options]
  --quick        2k messages, 1 run each, about a minute; writes no docs unless --write
  --size N       messages in the big INBOX (default 100000)
  --runs N       runs per measurement (default 3; 1 with --quick)
  --bodies N     messages of the offline-download folder (default 10000)
  --bodies-100k  also time the offline download of the big INBOX (many minutes)
  --build        run \`npm run build\` first (otherwise out/ is measured as it is)
  --write        write docs/benchmarks.{md,json} also with --quick
  --profile      one extra initial sync under CPU profilers (host and renderer), summarized
  --profile-out DIR  keep the raw .cpuprofile files of --profile there (open in Chrome DevTools)
  --only LIST    only these scenarios (comma-separated: ${SCENARIOS.join(', ')}), with the
                 corpus, the initial sync and the baselines they compare with; writes no docs`;

export function parseArgs(argv: string[]): Options {
  const known = new Set(['--quick', '--size', '--runs', '--bodies', '--bodies-100k', '--build', '--write', '--profile', '--profile-out', '--only']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') throw new Error(USAGE);
    if (!known.has(a)) throw new Error(`Unknown option ${a}\n${USAGE}`);
    if (['--size', '--runs', '--bodies', '--profile-out', '--only'].includes(a)) i++;
  }
  const quick = argv.includes('--quick');
  const num = (flag: string, dflt: number) => {
    const i = argv.indexOf(flag);
    if (i === -1) return dflt;
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} needs a positive whole number`);
    return v;
  };
  return {
    quick,
    size: num('--size', quick ? 2000 : 100_000),
    runs: num('--runs', quick ? 1 : 3),
    bodies: num('--bodies', quick ? 300 : 10_000),
    bodies100k: argv.includes('--bodies-100k'),
    build: argv.includes('--build'),
    write: !argv.includes('--only') && (argv.includes('--write') || !quick),
    profile: argv.includes('--profile') || argv.includes('--profile-out'),
    only: argv.includes('--only') ? scenarios(argv[argv.indexOf('--only') + 1] ?? '') : null,
    profileOut: argv.includes('--profile-out') ? path.resolve(argv[argv.indexOf('--profile-out') + 1] ?? '.') : null,
  };
}

function scenarios(list: string): Set<Scenario> {
  const out = new Set<Scenario>(['sync']);
  for (const name of list.split(',').filter(Boolean)) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario ${name}\n${USAGE}`);
    out.add(name as Scenario);
  }
  return out;
}

/** Whether a scenario runs in this run. */
export function runs(o: Options, scenario: Scenario): boolean {
  return o.only === null || o.only.has(scenario);
}

export const say = (line: string) => process.stdout.write(`${line}\n`);
export const fmtMs = (v: number) => `${Math.round(v)} ms`;

/** Builds if asked; warns when sources are newer than the build being measured. */
export function checkBuild(build: boolean): void {
  if (build) execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  const host = path.resolve('out/host/host.js');
  if (!fs.existsSync(host)) throw new Error('out/host/host.js is missing: run `npm run build` (or pass --build).');
  const built = fs.statSync(host).mtimeMs;
  const newer = (dir: string): string | null => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        const n = newer(p);
        if (n) return n;
      } else if (/\.(ts|tsx|css)$/.test(e.name) && !e.name.includes('.test.') && fs.statSync(p).mtimeMs > built) return p;
    }
    return null;
  };
  const stale = ['electron', 'shared', 'renderer/src'].map(newer).find((p) => p !== null);
  if (stale) say(`WARNING: ${stale} is newer than out/host/host.js: measuring the last build (pass --build to rebuild).`);
}

export function versions(): Record<string, string> {
  const cmd = (c: string, args: string[]) => {
    const r = spawnSync(c, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
  };
  const pkgVersion = (name: string) => (JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  const commit = cmd('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = cmd('git', ['status', '--porcelain', '--untracked-files=no']) !== '';
  const petrel = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version;
  return {
    petrel: `${petrel} (${commit}${dirty ? ' with uncommitted changes' : ''}, host built ${fs.statSync('out/host/host.js').mtime.toISOString()})`,
    node: process.version,
    imapflow: pkgVersion('imapflow'),
    playwright: pkgVersion('@playwright/test'),
    chromium: cmd(CHROMIUM, ['--version']),
    dovecot: cmd('/usr/sbin/dovecot', ['--version']),
    postfix: cmd('/usr/sbin/postconf', ['-h', 'mail_version']),
    mbsync: cmd('mbsync', ['--version']),
  };
}

/** Per-run values of every metric, and the steps that failed. */
export class Recorder {
  readonly series = new Map<string, Series>();
  readonly errors: string[] = [];

  add(name: string, value: number | null): void {
    if (value === null || !Number.isFinite(value)) return;
    const s = this.series.get(name) ?? { values: [] };
    s.values.push(value);
    this.series.set(name, s);
  }

  note(name: string, note: string): void {
    const s = this.series.get(name) ?? { values: [] };
    s.note = s.note ? `${s.note} ${note}` : note;
    this.series.set(name, s);
  }

  /** Runs a step; a failure is reported and remembered, and the rest goes on. */
  async step(what: string, fn: () => Promise<void>): Promise<boolean> {
    const started = Date.now();
    say(`- ${what}`);
    try {
      await fn();
      say(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return true;
    } catch (e) {
      const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
      this.errors.push(`${what}: ${message}`);
      say(`  FAILED: ${message}`);
      return false;
    }
  }
}
