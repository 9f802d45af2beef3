/** Turns an attachment's base64 (from the engine) back into bytes. */
export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A name the file system takes: no folders, no control characters, never empty. */
export function safeFilename(name: string, fallback = 'attachment'): string {
  const cleaned = name
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f/\\]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 255);
  return cleaned || fallback;
}

/**
 * Hands bytes to the browser's downloads as a file (a temporary `<a download>` on a blob:
 * URL). The blob is always application/octet-stream: an HTML or SVG attachment must never be
 * shown by the app's own origin, only saved. In Electron the same path reaches its download
 * manager.
 */
export function saveBytes(bytes: Uint8Array<ArrayBuffer>, filename: string, doc: Document = document): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = safeFilename(filename);
  a.rel = 'noopener';
  a.style.display = 'none';
  doc.body.append(a);
  try {
    a.click();
  } finally {
    a.remove();
    // The download has taken the blob by the time a minute has passed.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
