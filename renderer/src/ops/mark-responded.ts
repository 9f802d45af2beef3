import { Flags, type OperationDraft } from '../../../shared/contract';
import type { RespondsTo } from '../outbox';

/**
 * The operation that marks the original of a sent reply (\Answered) or forward ($Forwarded).
 * It goes through the operations journal like any flag change: shown at once, carried out on
 * the server when the account is reachable, refused as CONFLICT if the folder was recreated.
 */
export function respondedDraft(target: RespondsTo): OperationDraft {
  return {
    kind: 'flags',
    accountId: target.accountId,
    path: target.path,
    uidValidity: target.uidValidity,
    uids: [target.uid],
    add: [target.mark === 'answered' ? Flags.answered : Flags.forwarded],
  };
}
