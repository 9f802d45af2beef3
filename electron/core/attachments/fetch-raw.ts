/**
 * A whole message's bytes (forward as attachment), from a connected ImapFlow: the folder is
 * opened read-only (no \Seen), the UIDVALIDITY checked, the size checked before downloading.
 */
import type { ImapFlow } from 'imapflow';
import type { RawMessage, RawMessageRef } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { openForMessage, readAll } from './fetch-attachment';

const CHUNK_SIZE = 1024 * 1024;

function tooLarge(limit: number, size?: number): PetrelError {
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return new PetrelError(
    'MESSAGE_TOO_LARGE',
    `This message is ${size !== undefined ? `${mb(size)}, ` : ''}larger than the ${mb(limit)} Petrel can attach to another message. Forward it inline instead.`,
    { limit, ...(size !== undefined ? { size } : {}) },
  );
}

export async function fetchRawMessage(client: ImapFlow, ref: RawMessageRef, options: { maxBytes: number }): Promise<RawMessage> {
  await openForMessage(client, ref);
  const uid = String(ref.uid);
  const gone = () => new PetrelError('NOT_FOUND', 'The message is no longer on the server; it may have been moved or deleted.');
  const msg = await client.fetchOne(uid, { uid: true, size: true }, { uid: true });
  if (!msg) throw gone();
  if (msg.size !== undefined && msg.size > options.maxBytes) throw tooLarge(options.maxBytes, msg.size);
  const download = await client.download(uid, undefined, { uid: true, maxBytes: options.maxBytes + 1, chunkSize: CHUNK_SIZE });
  if (!download.content) throw gone();
  const bytes = await readAll(download.content, options.maxBytes);
  if (!bytes) throw tooLarge(options.maxBytes);
  return { size: bytes.length, contentBase64: bytes.toString('base64') };
}
