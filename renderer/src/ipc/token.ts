const KEY = 'petrel.token';

/**
 * Takes the host's access token from the URL (?token=...), keeps it for this tab in
 * sessionStorage so a reload still works, and removes it from the address bar so it
 * does not end up in screenshots or bookmarks.
 */
export function takeToken(loc: Location = window.location, storage: Storage = window.sessionStorage): string | null {
  const url = new URL(loc.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    storage.setItem(KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return storage.getItem(KEY);
}
