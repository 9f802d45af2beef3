import type { Logger } from '../log';

const MAX_BYTES = 5 * 1024 * 1024;
const MAX_TOTAL_BYTES = 25 * 1024 * 1024;
const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;
const CONCURRENCY = 6;

export type FetchedImage = { url: string; dataUrl: string } | { url: string; error: string };

/**
 * Fetches the remote images of a message the person allowed. Only http(s), images only
 * (by Content-Type), no cookies or referrer, each redirect re-checked, size and time
 * limited, a few at a time.
 */
export async function fetchRemoteImages(
  urls: readonly string[],
  log: Logger,
  fetchImpl: typeof fetch = fetch,
): Promise<FetchedImage[]> {
  const unique = [...new Set(urls)];
  const out: FetchedImage[] = [];
  let total = 0;
  let next = 0;
  const worker = async () => {
    while (next < unique.length) {
      const url = unique[next++]!;
      if (total > MAX_TOTAL_BYTES) {
        out.push({ url, error: 'too much remote content in one message' });
        continue;
      }
      try {
        const { type, bytes } = await fetchOne(url, fetchImpl);
        total += bytes.length;
        out.push({ url, dataUrl: `data:${type};base64,${bytes.toString('base64')}` });
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        log.info(`remote image not loaded: ${error}`);
        out.push({ url, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, unique.length) }, worker));
  return out;
}

async function fetchOne(url: string, fetchImpl: typeof fetch): Promise<{ type: string; bytes: Buffer }> {
  let current = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new Error('not an http(s) URL');
    if (current.username || current.password) throw new Error('URL with credentials');
    const res = await fetchImpl(current, {
      redirect: 'manual',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      headers: { accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      await res.body?.cancel();
      if (!location) throw new Error(`redirect without a target (${res.status})`);
      current = new URL(location, current);
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!/^image\/[a-z0-9.+-]+$/.test(type)) {
      await res.body?.cancel();
      throw new Error(`not an image (${type || 'no type'})`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_BYTES) {
      await res.body?.cancel();
      throw new Error('image too large');
    }
    return { type, bytes: await readLimited(res, MAX_BYTES) };
  }
  throw new Error('too many redirects');
}

async function readLimited(res: Response, limit: number): Promise<Buffer> {
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new Error('image too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
