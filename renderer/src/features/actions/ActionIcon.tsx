/** Line icons of the message actions, drawn like components/Icon.tsx (16px, currentColor). */
const PATHS = {
  archive: 'M2.5 3.5h11v3h-11zM3.5 6.5v6.5h9V6.5M6.5 9h3',
  trash: 'M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 8.5h5.6l.7-8.5M6.8 7v4M9.2 7v4',
  junk: 'M8 2.5l6 11H2zM8 6.5v3.5M8 11.6v.4',
  unread: 'M2.5 4.5h11v8h-11zM2.5 4.5L8 9l5.5-4.5',
  read: 'M2.5 7L8 3.5 13.5 7v6h-11zM2.5 7L8 10.5 13.5 7',
  star: 'M8 2.5l1.7 3.6 3.8.4-2.9 2.6.9 3.8L8 11l-3.5 1.9.9-3.8-2.9-2.6 3.8-.4z',
  move: 'M2.5 4.5h4l1.2 1.5h5.8v7h-11zM5.5 9.5h5M9 8l1.5 1.5L9 11',
  copy: 'M5.5 5.5h7v8h-7zM3.5 10.5v-8h7',
  reply: 'M6.5 4L2.5 7.5l4 3.5M2.5 7.5h6c3 0 5 1.5 5 5',
  replyAll: 'M8.5 4L4.5 7.5l4 3.5M5.5 4L1.5 7.5l4 3.5M4.5 7.5h5c2.5 0 4.5 1.5 4.5 5',
  forward: 'M9.5 4l4 3.5-4 3.5M13.5 7.5h-6c-3 0-5 1.5-5 5',
  forwardAttachment: 'M2.5 3.5h7v9h-7zM4.5 6h3M4.5 8.5h3M11 6l2.5 2.5L11 11M13.5 8.5h-3',
} as const;

export type ActionIconName = keyof typeof PATHS;

export function ActionIcon(props: { name: ActionIconName; filled?: boolean }) {
  return (
    <svg
      viewBox="0 0 16 16"
      width="16"
      height="16"
      aria-hidden="true"
      fill={props.filled ? 'currentColor' : 'none'}
      stroke="currentColor"
      strokeWidth="1.3"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d={PATHS[props.name]} />
    </svg>
  );
}
