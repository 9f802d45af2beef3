import type { OutboxDb } from './schema';
import type { ComposerContent, LocalDraft } from './types';

/** Saves a composer's content on this device (on every pause in typing). */
export async function saveLocalDraft(db: OutboxDb, key: string, content: ComposerContent, now = Date.now()): Promise<void> {
  await db.drafts.put({ key, content, updatedAt: now });
}

export async function removeLocalDraft(db: OutboxDb, key: string): Promise<void> {
  await db.drafts.delete(key);
}

export function localDraft(db: OutboxDb, key: string): Promise<LocalDraft | undefined> {
  return db.drafts.get(key);
}

/** Every draft kept on this device, newest first. */
export async function localDrafts(db: OutboxDb): Promise<LocalDraft[]> {
  return (await db.drafts.toArray()).sort((a, b) => b.updatedAt - a.updatedAt);
}

/** A key for a new composer's local draft. */
export function newDraftKey(): string {
  return `draft-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
