import { useLiveQuery } from 'dexie-react-hooks';
import type { KeyboardEvent } from 'react';
import { foldersOf, type MessageKey } from '../../db';
import { useDb } from '../../db/db-context';
import { ActionIcon, type ActionIconName } from './ActionIcon';
import type { RespondKind } from '../compose/respond';
import { specialFolders, type MessageAction } from './actions';
import { FolderPicker } from './FolderPicker';
import './actions.css';

export type PickerMode = 'move' | 'copy' | null;

/**
 * The actions on the selected messages (one or many of one folder): archive, delete, spam,
 * read/unread, star, move to and copy to a folder. Each button names its action and its key
 * (the message list's shortcuts); the toggles follow the selection's state.
 */
export function MessageToolbar(props: {
  accountId: string;
  path: string;
  uids: readonly number[];
  onAction: (action: MessageAction) => void;
  onMove: (to: string, copy: boolean) => void;
  picker: PickerMode;
  onPickerChange: (mode: PickerMode) => void;
  /** Reply, reply all, forward: offered for one message. */
  onRespond?: (kind: RespondKind) => void;
}) {
  const db = useDb();
  const { accountId, path, uids } = props;
  const key = uids.join(',');
  const messages = useLiveQuery(
    async () => (await db.messages.bulkGet(uids.map((uid): MessageKey => [accountId, path, uid]))).filter((m) => m !== undefined),
    // `key` stands for the uids.
    [db, accountId, path, key],
  );
  const folders = useLiveQuery(() => foldersOf(db, accountId), [db, accountId]);
  const special = specialFolders(folders ?? []);
  const anyUnread = messages?.some((m) => m.seen === 0) ?? false;
  const allStarred = (messages?.length ?? 0) > 0 && messages!.every((m) => m.flagged === 1);
  const inTrash = special.trash?.path === path;
  const many = uids.length > 1;

  const button = (action: MessageAction, icon: ActionIconName, label: string, shortcut: string, extra: { pressed?: boolean; disabled?: boolean } = {}) => (
    <button
      type="button"
      className="toolbar-button"
      aria-label={label}
      title={`${label} (${shortcut})`}
      aria-pressed={extra.pressed}
      disabled={extra.disabled}
      onClick={() => props.onAction(action)}
    >
      <ActionIcon name={icon} filled={extra.pressed} />
    </button>
  );

  // Left/Right (Home/End) move between the buttons, as in any toolbar.
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    if (target.tagName !== 'BUTTON' || target.closest('.picker-popup')) return;
    const buttons = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('button:not(:disabled)')].filter((b) => !b.closest('.picker-popup'));
    const at = buttons.indexOf(target as HTMLButtonElement);
    const to =
      e.key === 'ArrowRight' ? at + 1 : e.key === 'ArrowLeft' ? at - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? buttons.length - 1 : null;
    if (to === null || at === -1) return;
    e.preventDefault();
    buttons[(to + buttons.length) % buttons.length]?.focus();
  };

  const respond = (kind: RespondKind, icon: ActionIconName, label: string, shortcut?: string) => (
    <button
      type="button"
      className="toolbar-button"
      aria-label={label}
      title={shortcut ? `${label} (${shortcut})` : label}
      onClick={() => props.onRespond?.(kind)}
    >
      <ActionIcon name={icon} />
    </button>
  );

  return (
    <div
      className="message-toolbar"
      role="toolbar"
      aria-label={many ? `Actions on ${uids.length} messages` : 'Message actions'}
      onKeyDown={onKeyDown}
    >
      {props.onRespond && !many && (
        <div className="toolbar-group">
          {respond('reply', 'reply', 'Reply', 'r')}
          {respond('replyAll', 'replyAll', 'Reply all', 'a')}
          {respond('forward', 'forward', 'Forward', 'f')}
          {respond('forwardAsAttachment', 'forwardAttachment', 'Forward as attachment')}
        </div>
      )}
      <div className="toolbar-group">
        {button('archive', 'archive', 'Archive', 'e', { disabled: special.archive?.path === path })}
        {button('delete', 'trash', inTrash ? 'Delete for good' : 'Delete', '#')}
        {button('spam', 'junk', 'Mark as spam', '!', { disabled: special.junk?.path === path })}
      </div>
      <div className="toolbar-group">
        {button('toggleRead', anyUnread ? 'read' : 'unread', anyUnread ? 'Mark as read' : 'Mark as unread', 'u')}
        <span className="toolbar-star">{button('toggleStar', 'star', 'Star', 's', { pressed: allStarred })}</span>
      </div>
      <div className="toolbar-group">
        <FolderPicker
          accountId={accountId}
          currentPath={path}
          mode="move"
          open={props.picker === 'move'}
          onOpenChange={(open) => props.onPickerChange(open ? 'move' : null)}
          onChoose={(to) => props.onMove(to, false)}
        />
        <FolderPicker
          accountId={accountId}
          currentPath={path}
          mode="copy"
          open={props.picker === 'copy'}
          onOpenChange={(open) => props.onPickerChange(open ? 'copy' : null)}
          onChoose={(to) => props.onMove(to, true)}
        />
      </div>
    </div>
  );
}
