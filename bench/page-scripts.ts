/**
 * Code the benchmark runs inside the app's page. Kept as plain JavaScript source text:
 * functions compiled by tsx carry helpers (`__name`) that do not exist in the page.
 * Every waiter resolves with the page's Date.now() at the moment its condition held,
 * observed by a MutationObserver (DOM) or a 20 ms poll (IndexedDB), so the round trip
 * to the benchmark process is not part of any figure.
 */

/**
 * Turns the offline body download off (the person's size limit, 0) unless this tab
 * asked for it: it would otherwise fetch every body of 100k messages in the background,
 * competing with everything else measured.
 */
export const OFFLINE_LIMIT = `(() => {
  if (sessionStorage.getItem('petrel-bench-offline') === '1') localStorage.removeItem('petrel.offlineBodyLimitBytes');
  else localStorage.setItem('petrel.offlineBodyLimitBytes', '0');
})()`;

/** Installs `window.__bench` (idempotent). */
export const INSTALL = `(() => {
  if (window.__bench) return;
  const ROW = 74;
  const optionsIn = (listPrefix) => {
    const lists = Array.from(document.querySelectorAll('[role="listbox"]'));
    const list = listPrefix ? lists.find((l) => (l.getAttribute('aria-label') || '').startsWith(listPrefix)) : lists[0];
    return { list, options: list ? Array.from(list.querySelectorAll('[role="option"]')) : [] };
  };
  const labels = (options) => {
    const m = new Map();
    for (const o of options) m.set(Number(o.getAttribute('aria-posinset')), o.getAttribute('aria-label') || '');
    return m;
  };
  // Rows from..to of the list are all there and loaded (row 'from' containing 'contains', if given).
  const rowsReady = (listPrefix, from, to, contains) => {
    const { options } = optionsIn(listPrefix);
    const m = labels(options);
    for (let i = from; i <= to; i++) {
      const l = m.get(i);
      if (l === undefined || l === 'Loading') return false;
    }
    return !contains || (m.get(from) || '').includes(contains);
  };
  const whenDom = (cond, timeoutMs) =>
    new Promise((resolve, reject) => {
      if (cond()) return resolve(Date.now());
      const obs = new MutationObserver(() => {
        if (cond()) {
          obs.disconnect();
          clearTimeout(timer);
          resolve(Date.now());
        }
      });
      obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-label', 'aria-posinset'] });
      const timer = setTimeout(() => {
        obs.disconnect();
        reject(new Error('timed out after ' + timeoutMs + ' ms'));
      }, timeoutMs);
    });
  let db = null;
  const openDb = async () => {
    if (db) return db;
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes('petrel')) return null;
    db = await new Promise((res, rej) => {
      const r = indexedDB.open('petrel');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    db.onversionchange = () => {
      db.close();
      db = null;
    };
    return db;
  };
  const req = (r) => new Promise((res, rej) => {
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  const cursorOf = async (accountId, path) => {
    const d = await openDb();
    if (!d) return null;
    return (await req(d.transaction('cursors').objectStore('cursors').get([accountId, path]))) || null;
  };
  const countOf = async (accountId, path) => {
    const d = await openDb();
    if (!d) return 0;
    return req(d.transaction('messages').objectStore('messages').count(IDBKeyRange.bound([accountId, path, 0], [accountId, path, Infinity])));
  };
  // Every change of a stored cursor, with when it was first seen (polled every 20 ms from page start).
  const cursorLog = [];
  const lastSeen = new Map();
  let watching = true;
  const watch = async () => {
    if (!watching) return;
    try {
      const d = await openDb();
      if (d) {
        const all = await req(d.transaction('cursors').objectStore('cursors').getAll());
        const now = Date.now();
        for (const c of all) {
          // A partial cursor (an initial sync under way) is no finished sync.
          if (c.partialBelow !== undefined) continue;
          const k = c.accountId + '/' + c.path;
          const v = c.uidValidity + '/' + c.highestModseq + '/' + c.uidNext;
          if (lastSeen.get(k) !== v) {
            lastSeen.set(k, v);
            cursorLog.push({ at: now, accountId: c.accountId, path: c.path, highestModseq: c.highestModseq, uidNext: c.uidNext });
          }
        }
      }
    } catch (e) {
      db = null;
    }
    setTimeout(watch, 20);
  };
  watch();
  // The search worker's side of each query, observed on its messages: when a query went to
  // the worker, when its results came back, and the worker's own time (page.tookMs).
  const workerLog = [];
  const NativeWorker = window.Worker;
  window.Worker = function (url, options) {
    const w = new NativeWorker(url, options);
    w.addEventListener('message', (e) => {
      const d = e.data;
      if (d && d.type === 'results') workerLog.push({ kind: 'results', at: performance.now(), id: d.page.id, tookMs: d.page.tookMs });
      else if (d && d.type === 'status') workerLog.push({ kind: 'status', at: performance.now(), wall: Date.now(), phase: d.status.phase, version: d.status.version, indexed: d.status.indexed });
      else if (d && d.type) workerLog.push({ kind: d.type, at: performance.now() });
    });
    const post = w.postMessage.bind(w);
    w.postMessage = (msg, transfer) => {
      if (msg && msg.type === 'query') workerLog.push({ kind: 'query', at: performance.now(), id: msg.id, text: msg.text });
      return transfer === undefined ? post(msg) : post(msg, transfer);
    };
    return w;
  };
  window.Worker.prototype = NativeWorker.prototype;
  const armed = new Map();
  window.__bench = {
    stopWatching: () => {
      watching = false;
    },
    cursorLog: (from) => cursorLog.slice(from || 0),
    workerLog: () => workerLog.slice(),
    // The search worker's latest status (what it has indexed, and when it said so) and the messages cached.
    searchIndexState: async () => {
      const last = workerLog.filter((x) => x.kind === 'status').pop() || null;
      const d = await openDb();
      const total = d ? await req(d.transaction('messages').objectStore('messages').count()) : 0;
      return { status: last && { indexed: last.indexed, version: last.version, phase: last.phase, wall: last.wall }, total };
    },
    rowsReady,
    whenDom,
    cursorOf,
    countOf,
    whenRows: (listPrefix, from, to, contains, timeoutMs) => whenDom(() => rowsReady(listPrefix, from, to, contains), timeoutMs),
    // Arms a waiter for a row whose label contains 'text' (await it later with 'armed').
    arm: (key, listPrefix, text, timeoutMs) => {
      const p = whenDom(() => optionsIn(listPrefix).options.some((o) => (o.getAttribute('aria-label') || '').includes(text)), timeoutMs);
      p.catch(() => undefined);
      armed.set(key, p);
    },
    armed: (key) => armed.get(key),
    // Messages of a folder the offline download wants (size <= maxBytes): reads every record, call once.
    bodiesWanted: async (accountId, path, maxBytes) => {
      const d = await openDb();
      if (!d) return 0;
      const range = IDBKeyRange.bound([accountId, path, 0], [accountId, path, Infinity]);
      let wanted = 0;
      for (const m of await req(d.transaction('messages').objectStore('messages').getAll(range))) if (m.size <= maxBytes) wanted++;
      return wanted;
    },
    // Bodies stored for a folder (a count: cheap enough to poll).
    bodiesStored: async (accountId, path) => {
      const d = await openDb();
      if (!d) return 0;
      return req(d.transaction('bodies').objectStore('bodies').count(IDBKeyRange.bound([accountId, path, 0], [accountId, path, Infinity])));
    },
    // The search box: enters 'query' at once (as a paste) and times until its results (or 'No results') show.
    search: async (query, timeoutMs) => {
      const input = document.querySelector('form[role="search"] input[type="search"]');
      if (!input) throw new Error('no search box');
      const setValue = (v) => {
        Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, v);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      };
      const results = () => document.querySelector('[role="listbox"][aria-label="Search results"]');
      setValue('');
      await whenDom(() => !results(), timeoutMs);
      if (!query) return { ms: 0, countMs: 0, worker: null, count: '', indexing: false };
      // As a person would: the folder's list is back on screen and the page has settled.
      await whenDom(() => {
        const { options } = optionsIn('Messages in ');
        return options.length > 0 && options.every((o) => o.getAttribute('aria-label') !== 'Loading');
      }, timeoutMs);
      await new Promise((r) => setTimeout(r, 300));
      const count = () => (document.querySelector('[data-testid="search-count"]') || {}).textContent || '';
      const ready = () => {
        const list = results();
        const text = count();
        if (!list || text === '' || text.startsWith('Searching')) return false;
        if (text === 'No results') return true;
        return list.querySelectorAll('[role="option"]').length > 0;
      };
      const p0 = performance.now();
      let countMs = null;
      setValue(query);
      await whenDom(() => {
        const text = count();
        if (countMs === null && text !== '' && !text.startsWith('Searching')) countMs = performance.now() - p0;
        return ready();
      }, timeoutMs);
      const ms = performance.now() - p0;
      // The last query of this text sent after p0, and its answer.
      const sent = workerLog.filter((x) => x.kind === 'query' && x.at >= p0 && x.text === query).pop();
      const answer = sent && workerLog.find((x) => x.kind === 'results' && x.id === sent.id);
      const worker = answer ? { sentMs: sent.at - p0, answeredMs: answer.at - p0, tookMs: answer.tookMs } : null;
      return { ms, countMs: countMs === null ? ms : countMs, worker, count: count(), indexing: !!document.querySelector('[data-testid="search-indexing"]') };
    },
    // Whether the search index is still being built (types a query to see the hint).
    searchIndexing: () => !!document.querySelector('[data-testid="search-indexing"]'),
    // Clicks a folder of an account and times until rows 1..n of its list are shown.
    openFolder: async (accountId, name, n, timeoutMs) => {
      const tree = document.querySelector('[data-testid="folders-' + accountId + '"]');
      const item = tree && Array.from(tree.querySelectorAll('[role="treeitem"]')).find((t) => {
        const l = t.getAttribute('aria-label') || '';
        return l === name || l.startsWith(name + ',');
      });
      if (!item) throw new Error('no folder ' + name);
      const t0 = Date.now();
      const p0 = performance.now();
      item.click();
      await whenDom(() => rowsReady('Messages in ' + name + ' ', 1, n, null), timeoutMs);
      return { at: t0, ms: performance.now() - p0 };
    },
    // Clicks "All inboxes" (the unified inbox) and times until rows 1..n of its list are shown.
    openUnified: async (n, timeoutMs) => {
      const nav = document.querySelector('nav[aria-label="All accounts"]');
      const item = nav && Array.from(nav.querySelectorAll('button, [role="treeitem"], a')).find((t) => (t.getAttribute('aria-label') || '').startsWith('All inboxes'));
      if (!item) throw new Error('no All inboxes');
      const p0 = performance.now();
      item.click();
      await whenDom(() => rowsReady('Messages in All inboxes', 1, n, null), timeoutMs);
      return { ms: performance.now() - p0 };
    },
    // Scrolls the list to its middle and times until the rows on screen there are shown.
    jumpToMiddle: async (listPrefix, timeoutMs) => {
      const { list } = optionsIn(listPrefix);
      if (!list) throw new Error('no list');
      const p0 = performance.now();
      list.scrollTop = Math.floor((list.scrollHeight - list.clientHeight) / 2);
      const first = Math.floor(list.scrollTop / ROW) + 1;
      const visible = Math.max(1, Math.floor(list.clientHeight / ROW) - 1);
      await whenDom(() => rowsReady(listPrefix, first, first + visible - 1, null), timeoutMs);
      return { ms: performance.now() - p0, first };
    },
  };
})()`;
