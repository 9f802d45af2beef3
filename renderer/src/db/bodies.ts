import type { MessageBody } from '../../../shared/contract';
import type { PetrelDb } from './schema';

/**
 * Caches a body fetched with `messages.body` for offline reading. Not mail state (the server
 * has it; this is a copy), so the reader may store it directly. Stored only while its message
 * is cached with the same uidValidity: a body of a message expunged or reset meanwhile would
 * never be cleaned up. Bodies go away with their message (expunge, uidset, reset, folder or
 * account removal). Returns whether it was stored.
 */
export function putBody(db: PetrelDb, body: MessageBody): Promise<boolean> {
  return db.transaction('rw', [db.messages, db.bodies], async () => {
    const message = await db.messages.get([body.accountId, body.path, body.uid]);
    if (!message || message.uidValidity !== body.uidValidity) return false;
    await db.bodies.put({
      accountId: body.accountId,
      path: body.path,
      uidValidity: body.uidValidity,
      uid: body.uid,
      html: body.html,
      text: body.text,
      attachments: body.attachments,
    });
    return true;
  });
}
