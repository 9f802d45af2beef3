/**
 * A few line icons drawn inline (no icon font, no emoji: Linux desktops often lack an
 * emoji font, and mail must look right everywhere). 16px, currentColor.
 */
const PATHS = {
  inbox: 'M2.5 9.5h3l1 2h3l1-2h3M3.5 3.5h9l1 6v3.5h-11V9.5z',
  drafts: 'M10.5 2.5l3 3-7.5 7.5H3v-3zM9 4l3 3',
  sent: 'M2.5 8l11-5-4 11-2-4.5zM7.5 9.5l6-6.5',
  archive: 'M2.5 3.5h11v3h-11zM3.5 6.5v6.5h9V6.5M6.5 9h3',
  junk: 'M8 2.5l6 11H2zM8 6.5v3.5M8 11.6v.4',
  trash: 'M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 8.5h5.6l.7-8.5',
  folder: 'M2.5 4.5h4l1.2 1.5h5.8v7h-11z',
  all: 'M2.5 3.5h11v9h-11zM2.5 6.5h11',
  flagged: 'M8 2.5l1.7 3.6 3.8.4-2.9 2.6.9 3.8L8 11l-3.5 1.9.9-3.8-2.9-2.6 3.8-.4z',
  attachment: 'M11 7.5l-4 4a2.1 2.1 0 01-3-3l4.8-4.8a1.4 1.4 0 012 2L6 10.5',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon(props: { name: IconName; className?: string }) {
  return (
    <svg
      viewBox="0 0 16 16"
      width="16"
      height="16"
      aria-hidden="true"
      className={props.className}
      fill="none"
      stroke="currentColor"
      strokeWidth="1.3"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d={PATHS[props.name]} />
    </svg>
  );
}
