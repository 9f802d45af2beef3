/** The figures the benchmark reports: names (docs/benchmarks.json keys), what they mean, targets. */
import type { MetricDef, Unit } from './report';

export const FLAG_CHANGES = 1000;

export const SEARCH_QUERIES = [
  'budget',
  'meeting review',
  'from:priya',
  'is:unread',
  'has:attachment report',
  '"quarter figures"',
  'Москва',
  '会議',
  'grüße',
  'xyzzy',
];

export const METRICS: MetricDef[] = [
  { name: 'sync_100k_first50_ms', label: 'Initial sync: account added → newest 50 rows visible', unit: 'ms', baseline: 'imapflow_newest50_ms', target: 1000 },
  { name: 'sync_100k_headers_ms', label: 'Initial sync: account added → every header (and the cursor) in IndexedDB', unit: 'ms', baseline: 'imapflow_fetch_all_ms', target: (b) => (b === null ? null : 1.5 * b) },
  { name: 'sync_100k_engine_ms', label: 'Initial sync: account added → the engine sent the last delta', unit: 'ms', baseline: 'imapflow_fetch_all_ms' },
  { name: 'sync_100k_search_indexed_ms', label: 'Initial sync: account added → the search worker has indexed every message', unit: 'ms' },
  { name: 'host_rss_100k_mb', label: 'Host peak RSS during the initial sync', unit: 'MB', target: 150 },
  { name: 'renderer_heap_100k_mb', label: 'Renderer main-thread JS heap, peak during the initial sync', unit: 'MB', target: 200 },
  { name: 'resync_100k_nochange_ms', label: 'App reopened, nothing changed: sync.resume → INBOX checked (the host restarted too)', unit: 'ms', target: 250 },
  { name: 'resync_100k_nochange_from_open_ms', label: 'App reopened, nothing changed: host start + page load → INBOX checked', unit: 'ms' },
  { name: 'resync_100k_1000flags_ms', label: `App reopened after ${FLAG_CHANGES} flag changes by another client: sync.resume → new cursor in IndexedDB`, unit: 'ms' },
  { name: 'push_inbox_p50_ms', label: 'Push: SMTP accepted → row visible, INBOX (p50 of a run)', unit: 'ms', baseline: 'dovecot_idle_inbox_p50_ms', target: 700 },
  { name: 'push_inbox_p95_ms', label: 'Push: SMTP accepted → row visible, INBOX (p95 of a run)', unit: 'ms', baseline: 'dovecot_idle_inbox_p95_ms' },
  { name: 'push_inbox_server_p50_ms', label: "Push, INBOX, the server's part: SMTP accepted → EXISTS on the engine's connection (p50 of a run)", unit: 'ms', baseline: 'dovecot_idle_inbox_p50_ms' },
  { name: 'push_inbox_app_p50_ms', label: "Push, INBOX, Petrel's part: EXISTS on the engine's connection → row visible (p50 of a run)", unit: 'ms' },
  { name: 'push_inbox_app_p95_ms', label: "Push, INBOX, Petrel's part: EXISTS on the engine's connection → row visible (p95 of a run)", unit: 'ms' },
  { name: 'push_other_folder_p50_ms', label: 'Push: APPEND by another client → row visible, Archive (p50 of a run)', unit: 'ms', baseline: 'dovecot_idle_other_p50_ms', target: 5000 },
  { name: 'push_other_folder_p95_ms', label: 'Push: APPEND by another client → row visible, Archive (p95 of a run)', unit: 'ms', baseline: 'dovecot_idle_other_p95_ms' },
  { name: 'folder_open_100k_ms', label: 'Click Inbox (100k cached) → newest 50 rows rendered', unit: 'ms', target: 100 },
  { name: 'folder_jump_middle_100k_ms', label: 'Scroll to the middle of the 100k list → rows there rendered', unit: 'ms', target: 100 },
  { name: 'unified_open_ms', label: 'Click All inboxes (100k + 10k + 2k cached, merged) → newest 50 rows rendered', unit: 'ms', target: 100 },
  { name: 'unified_jump_middle_ms', label: 'Scroll to the middle of All inboxes (112k) → rows there rendered', unit: 'ms', target: 100 },
  { name: 'search_100k_p50_ms', label: `Search box: query entered → results shown, ${SEARCH_QUERIES.length} queries, 112k messages cached (p50 of a run)`, unit: 'ms' },
  { name: 'search_100k_p95_ms', label: `Search box: query entered → results shown, ${SEARCH_QUERIES.length} queries, 112k messages cached (p95 of a run)`, unit: 'ms', target: 100 },
  { name: 'search_100k_worker_answer_p50_ms', label: 'Search: query entered → the worker\'s answer back in the page (p50 of a run)', unit: 'ms' },
  { name: 'search_100k_worker_compute_p95_ms', label: 'Search: time inside the worker, parse to page (p95 of a run)', unit: 'ms' },
  { name: 'bodies_10k_ms', label: 'Offline download: first messages.bodies request → every body ≤ 32 MB of a 10k folder in IndexedDB', unit: 'ms', baseline: 'mbsync_10k_ms', target: (b) => b },
  { name: 'bodies_10k_searchable_ms', label: 'Offline download of the 10k folder: first request → every body in the search index', unit: 'ms' },
  { name: 'bodies_100k_ms', label: 'Offline download of the 100k folder', unit: 'ms', baseline: 'mbsync_100k_ms', target: (b) => b, missing: 'n/a (not measured): pass --bodies-100k (takes many minutes).' },
  { name: 'bodies_100k_searchable_ms', label: 'Offline download of the 100k folder: first request → every body in the search index', unit: 'ms', missing: 'n/a (not measured): pass --bodies-100k.' },
  { name: 'host_rss_rest_3acc_mb', label: 'Host RSS at rest, three accounts synced (100k + 10k + 2k)', unit: 'MB', target: 150 },
  { name: 'renderer_heap_rest_3acc_mb', label: 'Renderer main-thread JS heap at rest, three accounts synced (after GC)', unit: 'MB', target: 200 },
  { name: 'renderer_worker_heap_rest_3acc_mb', label: 'JS heap of the page\'s workers (the search index) at rest, three accounts', unit: 'MB' },
  { name: 'renderer_rss_rest_3acc_mb', label: 'Renderer process RSS at rest, three accounts (heaps, DOM, IndexedDB client)', unit: 'MB' },
];

export const BASELINES: Array<{ name: string; label: string; unit: Unit }> = [
  { name: 'imapflow_fetch_all_ms', label: "Bare imapflow: connect + EXAMINE + one UID FETCH 1:* of the engine's fields, parsed", unit: 'ms' },
  { name: 'imapflow_newest50_ms', label: 'Bare imapflow: connect + EXAMINE + FETCH of the newest 50', unit: 'ms' },
  { name: 'mbsync_100k_ms', label: 'mbsync: full pull of the big INBOX (bodies included) into a maildir', unit: 'ms' },
  { name: 'mbsync_10k_ms', label: 'mbsync: full pull of the 10k folder (bodies included)', unit: 'ms' },
  { name: 'dovecot_idle_inbox_p50_ms', label: 'Dovecot alone: SMTP accepted → EXISTS on a client idling in the big INBOX (p50)', unit: 'ms' },
  { name: 'dovecot_idle_inbox_p95_ms', label: 'Dovecot alone: SMTP accepted → EXISTS on a client idling in the big INBOX (p95)', unit: 'ms' },
  { name: 'dovecot_idle_other_p50_ms', label: 'Dovecot alone: APPEND → EXISTS on a client idling in Archive (p50)', unit: 'ms' },
  { name: 'dovecot_idle_other_p95_ms', label: 'Dovecot alone: APPEND → EXISTS on a client idling in Archive (p95)', unit: 'ms' },
];
