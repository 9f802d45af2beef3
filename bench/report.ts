/**
 * Figures: every metric keeps its per-run values; the reported value is their median,
 * with min-max, the baseline (median of its own runs), value/baseline and the target.
 */
import fs from 'node:fs';
import os from 'node:os';

export type Unit = 'ms' | 'MB' | 'msg/s';

export interface MetricDef {
  name: string;
  label: string;
  unit: Unit;
  /** The baseline series it compares with, if any. */
  baseline?: string;
  /** A fixed target, or one derived from the baseline's median. */
  target?: number | ((baseline: number | null) => number | null);
  /** Why there is no value, when there is none (e.g. not built). */
  missing?: string;
}

export interface Series {
  values: number[];
  note?: string;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export const median = (values: readonly number[]) => percentile(values, 50);

export interface MetricResult {
  value: number | null;
  unit: Unit;
  baseline: number | null;
  ratio: number | null;
  target: number | null;
  runs: number;
  min: number | null;
  max: number | null;
  label: string;
  /** Whether the value is within the target (null: no target or no value). */
  met: boolean | null;
  note?: string;
}

export interface Report {
  date: string;
  machine: { cpu: string; cores: number; memoryGb: number; os: string };
  versions: Record<string, string>;
  corpus: Record<string, unknown>;
  mode: string;
  metrics: Record<string, MetricResult>;
  baselines: Record<string, { value: number; unit: Unit; runs: number; min: number; max: number; label: string }>;
  notes: string[];
}

const round = (v: number, unit: Unit) => (unit === 'MB' ? Math.round(v * 10) / 10 : Math.round(v));

export function buildReport(
  defs: readonly MetricDef[],
  series: ReadonlyMap<string, Series>,
  baselineDefs: ReadonlyArray<{ name: string; label: string; unit: Unit }>,
  context: { versions: Record<string, string>; corpus: Record<string, unknown>; mode: string; notes: string[] },
): Report {
  const baselines: Report['baselines'] = {};
  for (const b of baselineDefs) {
    const s = series.get(b.name);
    if (!s || s.values.length === 0) continue;
    baselines[b.name] = {
      value: round(median(s.values), b.unit),
      unit: b.unit,
      runs: s.values.length,
      min: round(Math.min(...s.values), b.unit),
      max: round(Math.max(...s.values), b.unit),
      label: b.label,
    };
  }
  const metrics: Record<string, MetricResult> = {};
  for (const d of defs) {
    const s = series.get(d.name);
    const values = s?.values ?? [];
    const value = values.length > 0 ? round(median(values), d.unit) : null;
    const baseline = d.baseline ? (baselines[d.baseline]?.value ?? null) : null;
    const target = typeof d.target === 'function' ? d.target(baseline) : (d.target ?? null);
    const note = [d.missing, s?.note].filter(Boolean).join(' ');
    metrics[d.name] = {
      value,
      unit: d.unit,
      baseline,
      ratio: value !== null && baseline ? Math.round((value / baseline) * 100) / 100 : null,
      target: target === null ? null : round(target, d.unit),
      runs: values.length,
      min: values.length > 0 ? round(Math.min(...values), d.unit) : null,
      max: values.length > 0 ? round(Math.max(...values), d.unit) : null,
      label: d.label,
      met: value === null || target === null ? null : value <= target,
      ...(note ? { note } : {}),
    };
  }
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()}`,
    },
    versions: context.versions,
    corpus: context.corpus,
    mode: context.mode,
    metrics,
    baselines,
    notes: context.notes,
  };
}

const fmt = (v: number | null, unit: Unit) => (v === null ? 'n/a' : `${v.toLocaleString('en-US')} ${unit}`);

/** The table: one line per metric. */
export function table(report: Report): string {
  const rows: string[][] = [['metric', 'median', 'min-max', 'runs', 'baseline', 'ratio', 'target', '']];
  for (const [name, m] of Object.entries(report.metrics)) {
    rows.push([
      name,
      m.value === null ? (m.note?.startsWith('n/a') ? m.note.split(':')[0]! : 'n/a') : fmt(m.value, m.unit),
      m.min === null ? '' : `${m.min.toLocaleString('en-US')}-${m.max!.toLocaleString('en-US')}`,
      String(m.runs),
      m.baseline === null ? '' : fmt(m.baseline, m.unit),
      m.ratio === null ? '' : `${m.ratio}x`,
      m.target === null ? '' : `<= ${fmt(m.target, m.unit)}`,
      m.met === null ? '' : m.met ? 'ok' : 'MISSED',
    ]);
  }
  return align(rows);
}

export function baselineTable(report: Report): string {
  const rows: string[][] = [['baseline', 'median', 'min-max', 'runs']];
  for (const [name, b] of Object.entries(report.baselines)) {
    rows.push([name, fmt(b.value, b.unit), `${b.min.toLocaleString('en-US')}-${b.max.toLocaleString('en-US')}`, String(b.runs)]);
  }
  return align(rows);
}

function align(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** docs/benchmarks.json: `metrics` in the agreed shape, plus the context. */
export function toJson(report: Report): string {
  const metrics: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(report.metrics)) {
    metrics[name] = {
      value: m.value,
      unit: m.unit,
      baseline: m.baseline,
      ratio: m.ratio,
      target: m.target,
      runs: m.runs,
      min: m.min,
      max: m.max,
      ...(m.note ? { note: m.note } : {}),
    };
  }
  const { date, machine, versions, corpus, mode, baselines } = report;
  return `${JSON.stringify({ metrics, baselines, date, machine, versions, corpus, mode }, null, 2)}\n`;
}

/** Markdown rows for docs/benchmarks.md. */
export function markdownTable(report: Report): string {
  const lines = ['| Metric | What | Median | Min-max | Runs | Baseline | Ratio | Target | |', '|---|---|---:|---:|---:|---:|---:|---:|---|'];
  for (const [name, m] of Object.entries(report.metrics)) {
    lines.push(
      `| \`${name}\` | ${m.label} | ${m.value === null ? `**n/a**${m.note ? ` (${m.note})` : ''}` : fmt(m.value, m.unit)} | ` +
        `${m.min === null ? '' : `${m.min.toLocaleString('en-US')}-${m.max!.toLocaleString('en-US')}`} | ${m.runs} | ` +
        `${m.baseline === null ? '' : fmt(m.baseline, m.unit)} | ${m.ratio === null ? '' : `${m.ratio}x`} | ` +
        `${m.target === null ? '' : `≤ ${fmt(m.target, m.unit)}`} | ${m.met === null ? '' : m.met ? 'met' : '**missed**'} |`,
    );
  }
  lines.push('', '| Baseline | What | Median | Min-max | Runs |', '|---|---|---:|---:|---:|');
  for (const [name, b] of Object.entries(report.baselines)) {
    lines.push(`| \`${name}\` | ${b.label} | ${fmt(b.value, b.unit)} | ${b.min.toLocaleString('en-US')}-${b.max.toLocaleString('en-US')} | ${b.runs} |`);
  }
  return lines.join('\n');
}

export function writeJson(file: string, report: Report): void {
  fs.writeFileSync(file, toJson(report));
}
