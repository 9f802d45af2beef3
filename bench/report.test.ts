import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BASELINES, METRICS } from './metrics';
import { buildReport, median, percentile, toJson, type MetricDef, type Series } from './report';

const context = { versions: {}, corpus: {}, mode: 'test', notes: [] };
const seriesOf = (entries: Record<string, number[]>): Map<string, Series> => new Map(Object.entries(entries).map(([k, values]) => [k, { values }]));

describe('percentile', () => {
  it('interpolates between the ranks around it', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    // 20 samples 1..20: rank 0.95 * 19 = 18.05, between 19 and 20.
    expect(percentile(Array.from({ length: 20 }, (_, i) => i + 1), 95)).toBeCloseTo(19.05, 10);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('buildReport', () => {
  const defs: MetricDef[] = [
    { name: 'sync_ms', label: 'sync', unit: 'ms', baseline: 'bare_ms', target: (b) => (b === null ? null : 1.5 * b) },
    { name: 'open_ms', label: 'open', unit: 'ms', target: 100 },
    { name: 'rss_mb', label: 'rss', unit: 'MB', target: 150 },
    { name: 'big_ms', label: 'big', unit: 'ms', baseline: 'bare_ms', missing: 'n/a (not measured): pass --big.' },
  ];
  const baselines = [{ name: 'bare_ms', label: 'bare', unit: 'ms' as const }];

  it('reports the median with min-max, the ratio to the baseline median and the target it derives', () => {
    const r = buildReport(defs, seriesOf({ sync_ms: [30_000, 27_000, 32_000], bare_ms: [14_000, 16_000, 15_000], open_ms: [20, 120, 30], rss_mb: [132.04, 151.26, 126.4] }), baselines, context);
    expect(r.baselines.bare_ms).toMatchObject({ value: 15_000, runs: 3, min: 14_000, max: 16_000 });
    expect(r.metrics.sync_ms).toMatchObject({ value: 30_000, min: 27_000, max: 32_000, runs: 3, baseline: 15_000, ratio: 2, target: 22_500, met: false });
    // The median decides, not the worst run.
    expect(r.metrics.open_ms).toMatchObject({ value: 30, baseline: null, ratio: null, target: 100, met: true });
    // MB to one decimal.
    expect(r.metrics.rss_mb).toMatchObject({ value: 132, min: 126.4, max: 151.3, met: true });
  });

  it('keeps a metric that was not measured, with no value and why', () => {
    const r = buildReport(defs, seriesOf({ bare_ms: [10] }), baselines, context);
    expect(r.metrics.big_ms).toMatchObject({ value: null, runs: 0, ratio: null, met: null, note: 'n/a (not measured): pass --big.' });
    // No baseline measured: no derived target either.
    const none = buildReport(defs, seriesOf({ sync_ms: [5] }), baselines, context);
    expect(none.metrics.sync_ms).toMatchObject({ value: 5, baseline: null, ratio: null, target: null, met: null });
  });
});

// docs/benchmarks.json's agreed shape (issue #7): per metric its value, unit, baseline, ratio, target and runs.
const MetricJson = z.object({
  value: z.number().nullable(),
  unit: z.enum(['ms', 'MB', 'msg/s']),
  baseline: z.number().nullable(),
  ratio: z.number().nullable(),
  target: z.number().nullable(),
  runs: z.number().int().nonnegative(),
});
const BenchJson = z.object({ metrics: z.record(z.string(), MetricJson) });

const REQUIRED: Record<string, string | null> = {
  sync_100k_headers_ms: 'imapflow_fetch_all_ms',
  sync_100k_first50_ms: 'imapflow_newest50_ms',
  resync_100k_nochange_ms: null,
  resync_100k_1000flags_ms: null,
  push_inbox_p50_ms: 'dovecot_idle_inbox_p50_ms',
  push_other_folder_p50_ms: 'dovecot_idle_other_p50_ms',
  folder_open_100k_ms: null,
  search_100k_p95_ms: null,
  bodies_10k_ms: 'mbsync_10k_ms',
  host_rss_100k_mb: null,
  renderer_heap_100k_mb: null,
};

describe('docs/benchmarks.json', () => {
  it('names every required metric, with the baseline it compares with', () => {
    const byName = new Map(METRICS.map((d) => [d.name, d]));
    const baselineNames = new Set(BASELINES.map((b) => b.name));
    for (const [name, baseline] of Object.entries(REQUIRED)) {
      expect(byName.has(name), name).toBe(true);
      if (baseline) {
        expect(byName.get(name)!.baseline, name).toBe(baseline);
        expect(baselineNames.has(baseline), baseline).toBe(true);
      }
    }
  });

  it('is written in the agreed shape', () => {
    const series = seriesOf(Object.fromEntries([...METRICS.map((d) => [d.name, [1, 2, 3]]), ...BASELINES.map((b) => [b.name, [2]])]));
    const json = BenchJson.parse(JSON.parse(toJson(buildReport(METRICS, series, BASELINES, context))));
    expect(Object.keys(json.metrics)).toEqual(METRICS.map((d) => d.name));
    expect(json.metrics.sync_100k_headers_ms).toEqual(expect.objectContaining({ value: 2, baseline: 2, ratio: 1, target: 3, runs: 3 }));
  });

  it('as committed, holds every required metric measured against its baseline', () => {
    const json = BenchJson.parse(JSON.parse(fs.readFileSync(new URL('../docs/benchmarks.json', import.meta.url), 'utf8')));
    for (const [name, baseline] of Object.entries(REQUIRED)) {
      const m = json.metrics[name];
      expect(m, name).toBeDefined();
      expect(m!.value, name).not.toBeNull();
      expect(m!.runs, name).toBeGreaterThanOrEqual(3);
      if (baseline) expect(m!.baseline, name).not.toBeNull();
    }
  });
});
