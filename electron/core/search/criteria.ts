import type { SearchObject } from 'imapflow';
import type { ServerSearchQuery } from '../../../shared/contract';

type Atom = [key: string, value: unknown];

/**
 * The IMAP SEARCH criteria of a structured query. IMAP ANDs all search keys, but imapflow's
 * query object holds each key once, so repeated keys (two words, two senders) go into a
 * nested group, linked by whichever imapflow construct is free in that object:
 * `not: { not: group }` (NOT NOT (…)) or a one-element `or: [group]`, which imapflow
 * compiles as a parenthesized list. Both are plain AND. Exclusions become one NOT of an OR
 * of them: none may match.
 */
export function searchCriteria(q: ServerSearchQuery): SearchObject {
  const atoms: Atom[] = [];
  for (const v of q.text ?? []) atoms.push(['text', v]);
  for (const v of q.from ?? []) atoms.push(['from', v]);
  // "to:" in Petrel covers To and Cc.
  for (const v of q.to ?? []) atoms.push(['or', [{ to: v }, { cc: v }]]);
  for (const v of q.subject ?? []) atoms.push(['subject', v]);
  if (q.since) atoms.push(['since', q.since]);
  if (q.before) atoms.push(['before', q.before]);
  if (q.unseen !== undefined) atoms.push(['seen', !q.unseen]);
  if (q.flagged !== undefined) atoms.push(['flagged', q.flagged]);
  // No IMAP key for attachments: a multipart/mixed top-level type is the usual sign of one.
  if (q.attachment === true) atoms.push(['header', { 'Content-Type': 'multipart/mixed' }]);
  if (q.attachment === false) atoms.push(['not', { header: { 'Content-Type': 'multipart/mixed' } }]);
  const excluded: SearchObject[] = [
    ...(q.not?.text ?? []).map((v) => ({ text: v })),
    ...(q.not?.from ?? []).map((v) => ({ from: v })),
    ...(q.not?.to ?? []).flatMap((v) => [{ to: v }, { cc: v }]),
    ...(q.not?.subject ?? []).map((v) => ({ subject: v })),
  ];
  if (excluded.length === 1) atoms.push(['not', excluded[0]!]);
  else if (excluded.length > 1) atoms.push(['not', { or: excluded }]);
  if (atoms.length === 0) return { all: true };
  return level(atoms);
}

function level(atoms: readonly Atom[]): SearchObject {
  const obj: Record<string, unknown> = {};
  const rest: Atom[] = [];
  for (const [key, value] of atoms) {
    if (key in obj) rest.push([key, value]);
    else obj[key] = value;
  }
  if (rest.length > 0) {
    if (!('not' in obj)) obj.not = { not: level(rest) };
    else if (!('or' in obj)) obj.or = [level(rest)];
    else {
      // Both taken: the `or` atom moves down and the link takes its place.
      rest.unshift(['or', obj.or]);
      obj.or = [level(rest)];
    }
  }
  return obj as SearchObject;
}
