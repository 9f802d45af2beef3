// @vitest-environment jsdom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_ATTACHMENT_DOWNLOAD_BYTES, type AttachmentMeta } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import type { EngineConnection } from '../../ipc/connect';
import { EngineProvider } from '../../ipc/engine-context';
import { AttachmentList } from './Attachments';
import { base64ToBytes, safeFilename } from './save-file';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const owner = { accountId: 'acct-1', path: 'INBOX', uidValidity: '9', uid: 7 };
const meta = (partId: string, filename: string, size = 3): AttachmentMeta => ({
  partId,
  filename,
  contentType: 'application/pdf',
  size,
  contentId: null,
  inline: false,
});

let root: Root | undefined;
let host: HTMLElement;
let saved: { name: string; blob: Blob }[];

beforeEach(() => {
  host = document.createElement('div');
  document.body.append(host);
  saved = [];
  const blobs = new Map<string, Blob>();
  let n = 0;
  URL.createObjectURL = vi.fn((b: Blob) => {
    const url = `blob:test/${n++}`;
    blobs.set(url, b);
    return url;
  });
  URL.revokeObjectURL = vi.fn();
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.push({ name: this.download, blob: blobs.get(this.href)! });
  });
});

afterEach(async () => {
  await act(async () => root?.unmount());
  root = undefined;
  host.remove();
  vi.restoreAllMocks();
});

async function render(call: (method: string, params: unknown) => Promise<unknown>, attachments: AttachmentMeta[]) {
  const spy = vi.fn(call);
  await act(async () => {
    root = createRoot(host);
    root.render(
      <EngineProvider value={{ call: spy } as unknown as EngineConnection}>
        <AttachmentList owner={owner} attachments={attachments} />
      </EngineProvider>,
    );
  });
  return spy;
}

const button = (name: string) => [...host.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === name || b.textContent === name);

function readBlob(blob: Blob): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result as ArrayBuffer);
    r.onerror = () => reject(r.error);
    r.readAsArrayBuffer(blob);
  });
}

async function settle() {
  for (let i = 0; i < 5; i++) await act(async () => new Promise((r) => setTimeout(r, 0)));
}

describe('AttachmentList', () => {
  it('saves one attachment through the engine as a download with its name, as octet-stream', async () => {
    const call = await render(
      async () => ({ filename: 'r.pdf', contentType: 'application/pdf', size: 3, contentBase64: btoa('abc') }),
      [meta('2', 'report.pdf'), meta('3', 'b.pdf')],
    );
    await act(async () => button('Save report.pdf')!.click());
    await settle();
    expect(call).toHaveBeenCalledWith('messages.attachment', { ...owner, partId: '2' }, expect.objectContaining({ signal: expect.any(AbortSignal) }));
    expect(saved.map((s) => s.name)).toEqual(['report.pdf']);
    expect(saved[0]!.blob.type).toBe('application/octet-stream');
    expect(new Uint8Array(await readBlob(saved[0]!.blob))).toEqual(new Uint8Array([97, 98, 99]));
    expect(host.textContent).toContain('Saved to your downloads');
  });

  it('"Save all" saves each in turn; an error shows next to its file', async () => {
    const call = await render(
      async (_m, p) => {
        if ((p as { partId: string }).partId === '3') throw new PetrelError('NOT_FOUND', 'The folder changed on the server; reopen the message.');
        return { filename: 'x', contentType: 'x/y', size: 1, contentBase64: btoa('x') };
      },
      [meta('2', 'a.pdf'), meta('3', 'b.pdf'), meta('4', 'c.pdf')],
    );
    await act(async () => button('Save all')!.click());
    await settle();
    expect(call.mock.calls.map((c) => (c[1] as { partId: string }).partId)).toEqual(['2', '3', '4']);
    expect(saved.map((s) => s.name)).toEqual(['a.pdf', 'c.pdf']);
    const alert = host.querySelector('[role="alert"]');
    expect(alert?.textContent).toBe('Not saved: The folder changed on the server; reopen the message.');
  });

  it('does not ask the engine for a file above the limit', async () => {
    const call = await render(async () => ({}), [meta('2', 'huge.iso', MAX_ATTACHMENT_DOWNLOAD_BYTES + 1)]);
    await act(async () => button('Save huge.iso')!.click());
    expect(call).not.toHaveBeenCalled();
    expect(host.querySelector('[role="alert"]')?.textContent).toMatch(/up to 40 MB/);
  });
});

describe('save-file', () => {
  it('decodes base64 and cleans file names', () => {
    expect([...base64ToBytes(btoa('\u0000\u00ff'))]).toEqual([0, 255]);
    expect(safeFilename('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFilename('a\u0000b.txt')).toBe('a_b.txt');
    expect(safeFilename('  ')).toBe('attachment');
  });
});
