import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstLine, playwrightFailures, readReport, vitestFailures } from './failures';

describe('vitestFailures', () => {
  it('names failed assertions by file and full name, with the first line of the error', () => {
    const report = {
      testResults: [
        {
          name: '/repo/electron/core/x.test.ts',
          status: 'failed',
          message: '',
          assertionResults: [
            { fullName: 'grp passes', title: 'passes', status: 'passed', failureMessages: [] },
            {
              fullName: 'grp fails',
              title: 'fails',
              status: 'failed',
              failureMessages: ['AssertionError: expected 1 to be 2\n    at /repo/electron/core/x.test.ts:2:5'],
            },
          ],
        },
        { name: '/repo/shared/ok.test.ts', status: 'passed', message: '', assertionResults: [] },
      ],
    };
    expect(vitestFailures(report, '/repo')).toEqual([
      { name: 'electron/core/x.test.ts > grp fails', message: 'AssertionError: expected 1 to be 2' },
    ]);
  });

  it('reports a file that failed to run at all', () => {
    const report = {
      testResults: [{ name: '/repo/a.int.test.ts', status: 'failed', message: '\nError: Hook timed out', assertionResults: [] }],
    };
    expect(vitestFailures(report, '/repo')).toEqual([{ name: 'a.int.test.ts', message: 'Error: Hook timed out' }]);
  });

  it('yields nothing for a missing or malformed report', () => {
    expect(vitestFailures(null, '/')).toEqual([]);
    expect(vitestFailures({ testResults: 'x' }, '/')).toEqual([]);
    expect(vitestFailures({ testResults: [null, 3, { assertionResults: [null] }] }, '/')).toEqual([]);
  });
});

describe('playwrightFailures', () => {
  const result = (status: string, message?: string) => ({ status, ...(message ? { error: { message } } : {}) });
  it('walks nested suites and names failing specs by their title path, ignoring passes and flaky retries that passed', () => {
    const report = {
      suites: [
        {
          title: 'outbox.spec.ts',
          specs: [{ title: 'sends', ok: true, tests: [{ results: [result('passed')] }] }],
          suites: [
            {
              title: 'offline',
              specs: [
                { title: 'queues', ok: false, tests: [{ results: [result('timedOut', '\u001b[31mTest timeout of 90000ms exceeded.\u001b[39m')] }] },
                { title: 'retried', ok: true, tests: [{ results: [result('failed', 'x'), result('passed')] }] },
              ],
            },
          ],
        },
      ],
      errors: [{ message: 'Error: webServer failed\nmore' }],
    };
    expect(playwrightFailures(report)).toEqual([
      { name: 'outbox.spec.ts > offline > queues', message: 'timedOut: Test timeout of 90000ms exceeded.' },
      { name: '(outside any test)', message: 'Error: webServer failed' },
    ]);
  });

  it('yields nothing for a missing or malformed report', () => {
    expect(playwrightFailures(null)).toEqual([]);
    expect(playwrightFailures({ suites: [{ specs: [{ ok: false, tests: 'x' }] }] })).toEqual([]);
  });
});

describe('firstLine', () => {
  it('skips blank lines, strips colours and caps the length', () => {
    expect(firstLine('\n  \n\u001b[2mexpected\u001b[22m thing\nstack')).toBe('expected thing');
    expect(firstLine('x'.repeat(300))).toHaveLength(200);
  });
});

describe('readReport', () => {
  it('returns null for a missing or truncated file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failures-'));
    writeFileSync(join(dir, 'cut.json'), '{"testResults": [');
    expect(readReport(join(dir, 'none.json'))).toBeNull();
    expect(readReport(join(dir, 'cut.json'))).toBeNull();
    writeFileSync(join(dir, 'ok.json'), '{"a":1}');
    expect(readReport(join(dir, 'ok.json'))).toEqual({ a: 1 });
  });
});
