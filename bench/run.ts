/**
 * `npm run bench`: generates the corpus into its own test Dovecot, measures the baselines
 * and the app (the built host in out/, Chromium through Playwright), prints the table and
 * writes docs/benchmarks.md and docs/benchmarks.json. See bench/README.md and USAGE.
 *
 * Exits non-zero only when something could not be measured, never for a missed target.
 */
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startMailServers, type MailServers } from '../e2e/mailserver/mailserver';
import { startAutoconfigServer } from '../e2e/support/autoconfig-server';
import type { AppEnv, AppSession } from './app';
import { appendDeliverer, ensureMbsync, idleDelay, imapflowFetch, mbsyncPull, smtpDeliverer } from './baselines';
import { deliverCorpus, type DeliveryReport } from './corpus';
import { cpuMeter, formatCpu } from './cpu';
import { addAndSync, atRest, FlagFlipper, folderOpen, initialSync, offlineBodies, push, resyncAfterFlags, resyncNoChange, searchIndexed, searchQueries, showFolder, unifiedOpen } from './measure';
import { BASELINES, FLAG_CHANGES, METRICS, SEARCH_QUERIES } from './metrics';
import { keepProfiles, profileSummary, startRendererProfile, summarize } from './profile';
import { baselineTable, buildReport, markdownTable, percentile, table, toJson, type Report } from './report';
import { checkBuild, fmtMs, parseArgs, Recorder, runs, say, versions, type Options } from './setup';

const PUSH_SAMPLES = { quick: 3, full: 20 };
/**
 * The engine polls folders other than INBOX this often where the server sends no NOTIFY
 * (SyncEngineOptions.pollIntervalMs): the pauses between Archive's samples spread over it.
 */
const OTHER_FOLDER_POLL_MS = 5000;

interface Run {
  o: Options;
  rec: Recorder;
  notes: string[];
  workDir: string;
  servers?: MailServers;
  autoconfig?: Awaited<ReturnType<typeof startAutoconfigServer>>;
  session?: AppSession;
  corpus: Record<string, DeliveryReport>;
}

async function measureAll(run: Run): Promise<void> {
  const { o, rec, notes, workDir, corpus } = run;
  const s = (run.servers = await startMailServers());
  const [alice, bob, carol] = [s.user('alice'), s.user('bob'), s.user('carol')];
  run.autoconfig = await startAutoconfigServer({
    'example.test': {
      imap: { host: 'localhost', port: s.imap.tlsPort, socketType: 'SSL' },
      smtp: { host: 'localhost', port: s.smtp.submissionPort, socketType: 'STARTTLS' },
    },
  });
  const env: AppEnv = { servers: s, autoconfigUrl: run.autoconfig.urlTemplate, workDir };
  const ours = (hostPid: number | null = null) => ({ hostPid, dovecotTag: path.basename(s.dir) });
  const sizes = { alice: o.size, archive: Math.min(500, o.size), bob: o.bodies, carol: Math.min(2000, o.size) };
  const pushSamples = o.quick ? PUSH_SAMPLES.quick : PUSH_SAMPLES.full;

  await rec.step('corpus: generate and deliver', async () => {
    const deliver = async (key: string, user: typeof alice, folder: string, count: number, seed: number) => {
      const name = `${user.name[0]!.toUpperCase()}${user.name.slice(1)} Example`;
      const r = await deliverCorpus(s, user.login, folder, { seed, count, to: { name, address: user.address } });
      corpus[key] = r;
      say(`  ${user.name}/${folder}: ${count.toLocaleString('en-US')} messages, ${(r.bytes / 2 ** 20).toFixed(0)} MiB, written in ${fmtMs(r.generateAndWriteMs)}, indexed in ${fmtMs(r.indexMs)}`);
    };
    await deliver('alice_inbox', alice, 'INBOX', sizes.alice, 1);
    await deliver('alice_archive', alice, 'Archive', sizes.archive, 2);
    await deliver('bob_inbox', bob, 'INBOX', sizes.bob, 3);
    await deliver('carol_inbox', carol, 'INBOX', sizes.carol, 4);
    // Dovecot parses a message the first time its ENVELOPE/BODYSTRUCTURE/PREVIEW is asked for and caches
    // the result, settling its cache decisions over repeated fetches: two untimed passes, so the
    // baseline and the app both meet a warm cache.
    for (let pass = 0; pass < 2; pass++) {
      for (const [u, f] of [[alice, 'INBOX'], [alice, 'Archive'], [bob, 'INBOX'], [carol, 'INBOX']] as const) await imapflowFetch(s, u, f);
    }
  });
  const newestSubject = corpus.alice_inbox?.newestSubject;
  if (!newestSubject) throw new Error('The corpus could not be delivered');

  // -- baselines ---------------------------------------------------------------------------
  await rec.step('baseline: bare imapflow fetch', async () => {
    for (let r = 0; r < o.runs; r++) {
      const cpu = cpuMeter(() => ours());
      const all = await imapflowFetch(s, alice, 'INBOX');
      const used = formatCpu(cpu.stop(), all.ms);
      if (all.count !== sizes.alice) throw new Error(`imapflow fetched ${all.count} of ${sizes.alice}`);
      rec.add('imapflow_fetch_all_ms', all.ms);
      rec.add('imapflow_newest50_ms', (await imapflowFetch(s, alice, 'INBOX', 50)).ms);
      say(`  run ${r + 1}: all ${fmtMs(all.ms)}; CPU: ${used}`);
      if (r === o.runs - 1) notes.push(`CPU during the last bare imapflow fetch (${fmtMs(all.ms)}): ${used}.`);
    }
  });
  if (runs(o, 'bodies')) await rec.step('baseline: mbsync', async () => {
    for (let r = 0; r < o.runs; r++) rec.add('mbsync_10k_ms', (await mbsyncPull(s, bob, 'INBOX', workDir)).ms);
    const big = await mbsyncPull(s, alice, 'INBOX', workDir);
    rec.add('mbsync_100k_ms', big.ms);
    say(`  10k folder ${fmtMs(rec.series.get('mbsync_10k_ms')!.values[0]!)}, big INBOX ${fmtMs(big.ms)} (${big.count} messages, once)`);
  });
  if (runs(o, 'push')) await rec.step('baseline: Dovecot IDLE delay (no app connected)', async () => {
    const smtp = smtpDeliverer(s, alice);
    const append = await appendDeliverer(s, alice, 'Archive');
    try {
      for (let r = 0; r < o.runs; r++) {
        const inbox = await idleDelay(s, alice, 'INBOX', smtp.deliver, pushSamples);
        rec.add('dovecot_idle_inbox_p50_ms', percentile(inbox, 50));
        rec.add('dovecot_idle_inbox_p95_ms', percentile(inbox, 95));
        const other = await idleDelay(s, alice, 'Archive', append.deliver, pushSamples);
        rec.add('dovecot_idle_other_p50_ms', percentile(other, 50));
        rec.add('dovecot_idle_other_p95_ms', percentile(other, 95));
      }
    } finally {
      smtp.close();
      await append.close();
      // The probes would be the newest messages of the app's first sync: gone again.
      for (const folder of ['INBOX', 'Archive']) await s.doveadm(['expunge', '-u', alice.login, 'mailbox', folder, 'SUBJECT', 'Idle probe']);
    }
  });

  // -- the app -----------------------------------------------------------------------------
  let accountId = '';
  if (o.profile) {
    await rec.step('app: initial sync under CPU profilers (figures not recorded)', async () => {
      const profileDir = path.join(workDir, 'profile');
      const res = await initialSync({ ...env, hostNodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] }, alice, { count: sizes.alice, newestSubject }, startRendererProfile);
      say(`  (profiled) first 50 ${fmtMs(res.first50Ms)}, engine done ${fmtMs(res.engineDoneMs)}, all in IndexedDB ${fmtMs(res.headersMs)}`);
      await res.session.close(); // the host writes its profile as it exits
      const lines = await profileSummary(profileDir, res.rendererProfile);
      if (o.profileOut) await keepProfiles(profileDir, res.rendererProfile, o.profileOut);
      for (const l of lines) say(`  ${l}`);
      notes.push(...lines);
    });
  }
  for (let r = 0; r < o.runs; r++) {
    await rec.step(`app: initial sync, run ${r + 1} of ${o.runs}`, async () => {
      await run.session?.close();
      run.session = undefined;
      const res = await initialSync(env, alice, { count: sizes.alice, newestSubject });
      run.session = res.session;
      accountId = res.accountId;
      rec.add('sync_100k_first50_ms', res.first50Ms);
      rec.add('sync_100k_headers_ms', res.headersMs);
      rec.add('sync_100k_engine_ms', res.engineDoneMs);
      rec.add('sync_100k_search_indexed_ms', res.searchIndexedMs);
      rec.add('host_rss_100k_mb', res.hostPeakMb);
      rec.add('renderer_heap_100k_mb', res.heapPeakMb);
      const used = formatCpu(res.cpu, res.headersMs);
      const ws = (res.session.frames.receivedChars / 2 ** 20).toFixed(0);
      say(`  first 50 ${fmtMs(res.first50Ms)}, engine done ${fmtMs(res.engineDoneMs)}, all in IndexedDB ${fmtMs(res.headersMs)}, all searchable ${fmtMs(res.searchIndexedMs)}; host peak ${res.hostPeakMb.toFixed(0)} MB, heap peak ${res.heapPeakMb.toFixed(0)} MB; ${ws} MB over the WebSocket`);
      say(`  CPU: ${used}`);
      if (r === o.runs - 1) notes.push(`CPU during the last initial sync (${fmtMs(res.headersMs)}; ${ws} MB of deltas over the WebSocket): ${used}.`);
    });
  }
  const app = run.session;
  if (!app) {
    rec.errors.push('No initial sync succeeded: the other app measurements were skipped.');
    return;
  }

  if (runs(o, 'resync')) await rec.step('app: reopened, nothing changed', async () => {
    for (let r = 0; r < o.runs; r++) {
      const res = await resyncNoChange(app, accountId);
      rec.add('resync_100k_nochange_ms', res.ms);
      rec.add('resync_100k_nochange_from_open_ms', res.fromOpenMs);
      say(`  run ${r + 1}: ${fmtMs(res.ms)} (from host start ${fmtMs(res.fromOpenMs)})`);
    }
  });
  if (runs(o, 'resync')) await rec.step(`app: reopened after ${FLAG_CHANGES} flag changes`, async () => {
    const flipper = new FlagFlipper(s, alice, FLAG_CHANGES);
    for (let r = 0; r < o.runs; r++) {
      const res = await resyncAfterFlags(app, accountId, flipper);
      rec.add('resync_100k_1000flags_ms', res.ms);
      say(`  run ${r + 1}: ${fmtMs(res.ms)} (the engine sent the cursor after ${fmtMs(res.engineMs)})`);
    }
    if (flipper.changed !== FLAG_CHANGES) rec.note('resync_100k_1000flags_ms', `(${flipper.changed} messages changed)`);
  });
  if (runs(o, 'jump')) await rec.step('app: folder open and jump', async () => {
    for (let r = 0; r < (o.quick ? 3 : Math.max(5, o.runs)); r++) {
      const res = await folderOpen(app, accountId, 'Archive');
      rec.add('folder_open_100k_ms', res.openMs);
      rec.add('folder_jump_middle_100k_ms', res.middleMs);
      say(`  run ${r + 1}: open ${fmtMs(res.openMs)}, middle ${fmtMs(res.middleMs)} (search index: ${res.searchPhase})`);
    }
  });
  if (runs(o, 'push')) await rec.step('app: push', async () => {
    const smtp = smtpDeliverer(s, alice);
    const append = await appendDeliverer(s, alice, 'Archive');
    try {
      for (let r = 0; r < o.runs; r++) {
        const inbox = await push(app, accountId, 'Inbox', 'Archive', smtp.deliver, pushSamples, `${r}`, 400, () => app.host.inboxExists(accountId));
        rec.add('push_inbox_p50_ms', inbox.p50);
        rec.add('push_inbox_p95_ms', inbox.p95);
        if (inbox.app.length > 0) {
          rec.add('push_inbox_server_p50_ms', percentile(inbox.server, 50));
          rec.add('push_inbox_app_p50_ms', percentile(inbox.app, 50));
          rec.add('push_inbox_app_p95_ms', percentile(inbox.app, 95));
        }
        const other = await push(app, accountId, 'Archive', 'Inbox', append.deliver, pushSamples, `${r}`, OTHER_FOLDER_POLL_MS);
        rec.add('push_other_folder_p50_ms', other.p50);
        rec.add('push_other_folder_p95_ms', other.p95);
        const split = inbox.app.length > 0 ? ` (to EXISTS ${fmtMs(percentile(inbox.server, 50))}, then ${fmtMs(percentile(inbox.app, 50))}; ${inbox.app.length} of ${inbox.values.length} split)` : '';
        say(`  run ${r + 1}: INBOX p50 ${fmtMs(inbox.p50)} p95 ${fmtMs(inbox.p95)}${split}; Archive p50 ${fmtMs(other.p50)} p95 ${fmtMs(other.p95)}`);
      }
    } finally {
      smtp.close();
      await append.close();
    }
  });
  if (runs(o, 'search') || runs(o, 'unified') || runs(o, 'rest')) await rec.step('app: two more accounts', async () => {
    await showFolder(app, accountId, 'Inbox', 'Archive');
    await addAndSync(app, bob, sizes.bob);
    await addAndSync(app, carol, sizes.carol);
  });
  if (runs(o, 'search')) await rec.step('app: search', async () => {
    for (let r = 0; r < o.runs; r++) {
      const res = await searchQueries(app, SEARCH_QUERIES, 300_000);
      const ms = res.map((q) => q.ms);
      rec.add('search_100k_p50_ms', percentile(ms, 50));
      rec.add('search_100k_p95_ms', percentile(ms, 95));
      say(`  run ${r + 1}: ${res.map((q) => `${q.query} ${fmtMs(q.ms)} (${q.count}; worker answered at ${q.worker ? fmtMs(q.worker.answeredMs) : '?'}, ${q.worker ? fmtMs(q.worker.tookMs) : '?'} in it)`).join('; ')}`);
      const answered = res.flatMap((q) => (q.worker ? [q.worker.answeredMs] : []));
      const took = res.flatMap((q) => (q.worker ? [q.worker.tookMs] : []));
      rec.add('search_100k_worker_answer_p50_ms', answered.length > 0 ? percentile(answered, 50) : null);
      rec.add('search_100k_worker_compute_p95_ms', took.length > 0 ? percentile(took, 95) : null);
    }
  });
  if (runs(o, 'unified')) await rec.step('app: all inboxes, three accounts', async () => {
    // Measured with the new accounts' mail indexed for search, as a person opens it later.
    await searchIndexed(app, 0, 300_000, 2000);
    for (let r = 0; r < (o.quick ? 3 : Math.max(5, o.runs)); r++) {
      const res = await unifiedOpen(app, accountId, 'Archive');
      rec.add('unified_open_ms', res.openMs);
      rec.add('unified_jump_middle_ms', res.middleMs);
      say(`  run ${r + 1}: open ${fmtMs(res.openMs)}, middle ${fmtMs(res.middleMs)}`);
    }
  });
  if (runs(o, 'rest')) await rec.step('app: at rest, three accounts', async () => {
    for (let r = 0; r < o.runs; r++) {
      const res = await atRest(app);
      rec.add('host_rss_rest_3acc_mb', res.hostRssMb);
      rec.add('renderer_heap_rest_3acc_mb', res.heapMb);
      rec.add('renderer_worker_heap_rest_3acc_mb', res.workerHeapMb);
      rec.add('renderer_rss_rest_3acc_mb', res.rendererRssMb);
    }
  });
  await app.close();
  run.session = undefined;

  if (runs(o, 'bodies')) await rec.step(`app: offline download of ${sizes.bob.toLocaleString('en-US')} bodies`, async () => {
    for (let r = 0; r < o.runs; r++) {
      const profiled = o.profile && r === o.runs - 1;
      const hostProfile = path.join(workDir, `bodies-profile-${r}`);
      const res = await offlineBodies(
        profiled ? { ...env, hostNodeArgs: ['--cpu-prof', '--cpu-prof-dir', hostProfile] } : env,
        bob,
        sizes.bob,
        profiled ? startRendererProfile : undefined,
      );
      rec.add('bodies_10k_ms', res.ms);
      rec.add('bodies_10k_searchable_ms', res.searchableMs);
      const used = formatCpu(res.cpu, res.ms);
      say(`  run ${r + 1}: ${fmtMs(res.ms)} for ${res.stored} of ${sizes.bob} (${Math.round(res.stored / (res.ms / 1000))}/s), all searchable after ${fmtMs(res.searchableMs)}; CPU: ${used}`);
      if (r === o.runs - 1) notes.push(`CPU during the last offline download (${fmtMs(res.ms)}): ${used}.`);
      if (profiled) {
        // The host's profile covers its whole life: the account's header sync, then the download.
        const lines = await profileSummary(hostProfile, null, 'Host CPU profile (header sync of the folder, then the offline download)');
        if (res.rendererProfile) lines.push(...summarize('Renderer CPU profile (offline download)', res.rendererProfile));
        for (const l of lines) say(`  ${l}`);
        if (o.profileOut) await keepProfiles(hostProfile, res.rendererProfile, path.join(o.profileOut, 'bodies'));
      }
      if (res.wanted < sizes.bob) rec.note('bodies_10k_ms', `(${sizes.bob - res.wanted} messages over 32 MB are left for when they are opened; mbsync pulls them too.)`);
    }
  });
  if (o.bodies100k) {
    await rec.step('app: offline download of the big INBOX', async () => {
      const res = await offlineBodies(env, alice, sizes.alice);
      rec.add('bodies_100k_ms', res.ms);
      rec.add('bodies_100k_searchable_ms', res.searchableMs);
      const used = formatCpu(res.cpu, res.ms);
      say(`  ${fmtMs(res.ms)} for ${res.stored} bodies (${Math.round(res.stored / (res.ms / 1000))}/s), all searchable after ${fmtMs(res.searchableMs)}; CPU: ${used}`);
      notes.push(`CPU during the offline download of the big INBOX (${fmtMs(res.ms)}): ${used}.`);
    });
  }
}

function markdown(report: Report): string {
  const analysis = fs.readFileSync(new URL('./analysis.md', import.meta.url), 'utf8');
  const m = report.machine;
  return [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (bench/run.ts) on ${report.date.slice(0, 10)}; the text after the tables comes from bench/analysis.md.`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}`,
    `- Versions: ${Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join('; ')}`,
    `- Run: ${report.mode}. Values are medians over the runs, with min-max; ratio = value / baseline.`,
    `- Corpus: ${Object.entries(report.corpus).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join('; ')}`,
    ...report.notes.map((n) => `- ${n}`),
    '',
    markdownTable(report),
    '',
    analysis.trim(),
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  checkBuild(o.build);
  ensureMbsync();
  const run: Run = { o, rec: new Recorder(), notes: [], workDir: await mkdtemp(path.join(os.tmpdir(), 'petrel-bench-')), corpus: {} };
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      await run.session?.close().catch(() => undefined);
      await run.autoconfig?.close().catch(() => undefined);
      await run.servers?.stop().catch((e: unknown) => say(`stopping the mail servers failed: ${String(e)}`));
      await rm(run.workDir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`\n${signal}: stopping what the benchmark started`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const loadBefore = os.loadavg()[0]!;
  // The commit and the tree as measured: edits or commits during a long run must not relabel it.
  const measured = versions();
  say(`Petrel benchmark: ${o.quick ? 'quick' : 'full'} (INBOX of ${o.size.toLocaleString('en-US')}, ${o.runs} run(s) each), work in ${run.workDir}`);
  try {
    await measureAll(run);
  } catch (e) {
    run.rec.errors.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  } finally {
    await cleanup();
  }
  const { notes, rec } = run;
  notes.push(`Load average (1 min) before the run ${loadBefore.toFixed(1)}, after ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores: the machine is shared, so "other processes" in the CPU figures are not ours.`);
  if (o.size !== 100_000) notes.push(`The big INBOX held ${o.size.toLocaleString('en-US')} messages, not 100k: the *_100k_* names are kept.`);
  if (o.bodies !== 10_000) notes.push(`The offline-download folder held ${o.bodies.toLocaleString('en-US')} messages, not 10k.`);
  const report = buildReport(METRICS, rec.series, BASELINES, {
    versions: measured,
    corpus: Object.fromEntries(Object.entries(run.corpus).map(([k, r]) => [k, { messages: r.count, mib: Math.round(r.bytes / 2 ** 20), writeMs: r.generateAndWriteMs, indexMs: r.indexMs }])),
    mode: `${o.quick ? 'quick' : 'full'}, ${o.runs} run(s), INBOX ${o.size}, offline folder ${o.bodies}`,
    notes,
  });
  say(`\n${table(report)}\n\n${baselineTable(report)}`);
  for (const n of notes) say(`note: ${n}`);
  if (rec.errors.length > 0) {
    say(`\n${rec.errors.length} step(s) failed; docs not written.`);
    return 1;
  }
  if (o.write) {
    fs.writeFileSync('docs/benchmarks.json', toJson(report));
    fs.writeFileSync('docs/benchmarks.md', markdown(report));
    say('\nWrote docs/benchmarks.md and docs/benchmarks.json');
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`The benchmark could not run: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
