/**
 * Names the tests that failed, from the JSON reports vitest and Playwright write, so the
 * summary at the end of `npm test` (the part a CI log's tail shows) says what broke, not
 * only which step. Reports are read defensively: a missing or odd report yields nothing,
 * and the step's own output above remains the full account.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

export interface Failure {
  /** "file > describe > test" */
  name: string;
  /** First line of the error, trimmed. */
  message: string;
}

type Json = unknown;

function obj(v: Json): Record<string, Json> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Json>) : null;
}
function arr(v: Json): Json[] {
  return Array.isArray(v) ? v : [];
}
function str(v: Json): string {
  return typeof v === 'string' ? v : '';
}

/** First meaningful line of an error text, without ANSI colours, at most 200 characters. */
export function firstLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  const line = plain.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Vitest's JSON reporter (jest-compatible): failed assertions, and files that failed to run. */
export function vitestFailures(report: Json, root: string): Failure[] {
  const out: Failure[] = [];
  for (const file of arr(obj(report)?.['testResults'])) {
    const f = obj(file);
    if (!f) continue;
    const fileName = relative(root, str(f['name']));
    const failed = arr(f['assertionResults']).map(obj).filter((a) => a && a['status'] === 'failed');
    for (const a of failed) {
      out.push({
        name: `${fileName} > ${str(a!['fullName']) || str(a!['title'])}`,
        message: firstLine(arr(a!['failureMessages']).map(str).join('\n')),
      });
    }
    if (failed.length === 0 && f['status'] === 'failed') {
      out.push({ name: fileName, message: firstLine(str(f['message'])) || 'the file failed to run' });
    }
  }
  return out;
}

/** Playwright's JSON reporter: specs whose last result did not pass, and errors outside tests. */
export function playwrightFailures(report: Json): Failure[] {
  const out: Failure[] = [];
  const walk = (suite: Json, path: string[]) => {
    const s = obj(suite);
    if (!s) return;
    const here = str(s['title']) ? [...path, str(s['title'])] : path;
    for (const spec of arr(s['specs'])) {
      const sp = obj(spec);
      if (!sp || sp['ok'] !== false) continue;
      for (const test of arr(sp['tests'])) {
        const results = arr(obj(test)?.['results']).map(obj);
        const last = results[results.length - 1];
        const status = str(last?.['status']);
        if (status === 'passed' || status === 'skipped') continue;
        const err = obj(last?.['error']) ?? obj(arr(last?.['errors'])[0]);
        out.push({
          name: [...here, str(sp['title'])].join(' > '),
          message: `${status || 'failed'}: ${firstLine(str(err?.['message'])) || 'no error message'}`,
        });
      }
    }
    for (const child of arr(s['suites'])) walk(child, here);
  };
  const r = obj(report);
  for (const suite of arr(r?.['suites'])) walk(suite, []);
  for (const e of arr(r?.['errors'])) {
    out.push({ name: '(outside any test)', message: firstLine(str(obj(e)?.['message'])) });
  }
  return out;
}

/** Reads a report file; null when it is missing or not JSON (the step may have died first). */
export function readReport(file: string): Json | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch {
    return null;
  }
}
