import { EventEmitter } from 'node:events';
import { spawnSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from './log';
import { installProcessGuards, type GuardedProcess } from './process-guards';

function guarded() {
  const proc = new EventEmitter();
  const lines: string[] = [];
  const fatal = vi.fn();
  installProcessGuards(proc as unknown as GuardedProcess, createLogger('test', (l) => lines.push(l)), fatal);
  return { proc, lines, fatal };
}

describe('installProcessGuards', () => {
  it('logs an unhandled rejection with its stack and keeps the process running', () => {
    const { proc, lines, fatal } = guarded();
    proc.emit('unhandledRejection', new Error('stray failure'));
    proc.emit('unhandledRejection', 'not an error');
    expect(fatal).not.toHaveBeenCalled();
    expect(lines[0]).toMatch(/ERROR \[test\] unhandled promise rejection \(kept running\) Error: stray failure\n[\s\S]*\n\s+at /);
    expect(lines[1]).toContain('{"reason":"not an error"}');
  });

  it('logs an uncaught exception and hands it to the fatal handler', () => {
    const { proc, lines, fatal } = guarded();
    const error = new Error('broken state');
    proc.emit('uncaughtException', error);
    expect(fatal).toHaveBeenCalledWith(error);
    expect(lines[0]).toContain('uncaught exception: stopping Error: broken state');
  });

  it('in a real Node process, an unhandled rejection no longer ends it', () => {
    // Node ends a process on an unhandled rejection unless something listens for it.
    const script = `
      import { installProcessGuards } from ${JSON.stringify(new URL('./process-guards.ts', import.meta.url).pathname)};
      import { createLogger } from ${JSON.stringify(new URL('./log.ts', import.meta.url).pathname)};
      installProcessGuards(process, createLogger('host'), () => process.exit(3));
      void Promise.reject(new Error('nobody awaited this'));
      setTimeout(() => { process.stdout.write('still serving'); }, 50);
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toContain('unhandled promise rejection (kept running) Error: nobody awaited this');
    expect(run.stdout).toBe('still serving');
    expect(run.status).toBe(0);
  });
});
