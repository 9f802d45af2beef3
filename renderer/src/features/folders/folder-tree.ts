import type { FolderRecord } from '../../db';

export interface FolderNode {
  folder: FolderRecord;
  children: FolderNode[];
  depth: number;
}

const SPECIAL_ORDER = ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash', 'all', 'flagged'];

/** Orders like people expect: Inbox, then the special folders, then the rest by name. */
function rank(f: FolderRecord): number {
  const i = f.specialUse ? SPECIAL_ORDER.indexOf(f.specialUse) : -1;
  return i === -1 ? SPECIAL_ORDER.length : i;
}

/** Builds the folder hierarchy from parent paths; orphans (parent not listed) go to the top. */
export function buildFolderTree(folders: readonly FolderRecord[]): FolderNode[] {
  const byPath = new Map(folders.map((f) => [f.path, { folder: f, children: [] as FolderNode[], depth: 0 }]));
  const roots: FolderNode[] = [];
  for (const node of byPath.values()) {
    const parent = node.folder.parentPath ? byPath.get(node.folder.parentPath) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const sort = (nodes: FolderNode[], depth: number) => {
    nodes.sort((a, b) => rank(a.folder) - rank(b.folder) || a.folder.name.localeCompare(b.folder.name));
    for (const n of nodes) {
      n.depth = depth;
      sort(n.children, depth + 1);
    }
  };
  sort(roots, 0);
  return roots;
}

export function displayName(f: FolderRecord): string {
  return f.specialUse === 'inbox' ? 'Inbox' : f.name;
}
