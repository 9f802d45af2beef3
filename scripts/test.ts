/**
 * `npm test`: the whole suite, as CI runs it.
 *   1. type-check (shared, node and web projects)   2. lint (with the boundary rules)
 *   3. unit tests                                   4. build
 *   5. integration tests against real Dovecot and Postfix
 *   6. Playwright E2E in Debian's Chromium through the Node host
 *   7. `npm run bench -- --quick`: the benchmark harness end to end on a small corpus, so it
 *      keeps working (it writes nothing, and a missed target is reported, not failed)
 * The mail servers are started once for 5 and 6 and always stopped (the benchmark runs its own).
 * Every step runs even if an earlier one failed (except those that need the build),
 * so one run shows every problem; the exit code is non-zero if any failed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playwrightFailures, readReport, vitestFailures, type Failure } from './failures';
import { ensureDebianPackages } from './system-deps';
import { startMailServers, writeMailServersEnv } from '../e2e/mailserver/mailserver';

interface Step {
  name: string;
  cmd: string[];
  needs?: string;
  /** Reads which tests failed from the step's report, for the summary. */
  failures?: () => Failure[];
}

function run(cmd: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const [bin, ...args] = cmd;
    const child = spawn(bin!, args, { stdio: 'inherit', env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

async function main(): Promise<number> {
  const results: { name: string; ok: boolean; skipped?: boolean; seconds: number; failures: Failure[] }[] = [];
  const reports = mkdtempSync(join(tmpdir(), 'petrel-test-reports-'));
  const vitest = (project: string): Step => {
    const file = join(reports, `${project}.json`);
    return {
      name: project,
      cmd: ['npx', 'vitest', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${file}`],
      failures: () => vitestFailures(readReport(file), process.cwd()),
    };
  };
  const e2eReport = join(reports, 'e2e.json');
  const step = async (s: Step, env?: NodeJS.ProcessEnv) => {
    if (s.needs && !results.find((r) => r.name === s.needs)?.ok) {
      results.push({ name: s.name, ok: false, skipped: true, seconds: 0, failures: [] });
      return;
    }
    process.stdout.write(`\n=== ${s.name}: ${s.cmd.join(' ')}\n`);
    const t = Date.now();
    const code = await run(s.cmd, env);
    const ok = code === 0;
    results.push({ name: s.name, ok, seconds: (Date.now() - t) / 1000, failures: ok ? [] : (s.failures?.() ?? []) });
  };

  await step({ name: 'typecheck', cmd: ['npm', 'run', '--silent', 'typecheck'] });
  await step({ name: 'lint', cmd: ['npx', 'eslint', '.'] });
  await step(vitest('unit'));
  await step({ name: 'build', cmd: ['npm', 'run', '--silent', 'build'] });

  ensureDebianPackages([{ file: process.env.PETREL_CHROMIUM ?? '/usr/bin/chromium', pkg: 'chromium' }], 'the E2E tests');
  const servers = await startMailServers();
  try {
    const env = { ...process.env, ...writeMailServersEnv(servers) };
    await step(vitest('integration'), env);
    await step(
      {
        name: 'e2e',
        cmd: ['npx', 'playwright', 'test', '--reporter=list,json'],
        needs: 'build',
        failures: () => playwrightFailures(readReport(e2eReport)),
      },
      { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: e2eReport },
    );
  } finally {
    await servers.stop();
  }
  await step({ name: 'bench-quick', cmd: ['npm', 'run', '--silent', 'bench', '--', '--quick'], needs: 'build' });

  process.stdout.write('\n=== Summary\n');
  for (const r of results) {
    process.stdout.write(`${r.skipped ? 'SKIP' : r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(12)} ${r.seconds.toFixed(1)} s\n`);
    for (const f of r.failures) process.stdout.write(`      ✗ ${f.name}\n        ${f.message}\n`);
  }
  rmSync(reports, { recursive: true, force: true });
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`npm test could not run: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
