/**
 * Search: full text over headers, previews and cached bodies of all accounts, results as
 * you type, with operators (see query.ts), from an index the search worker builds off the
 * UI thread (worker-core.ts), plus IMAP SEARCH for what the cache lacks (server-search.ts).
 *
 * Wiring (App): `const search = useSearch();` then <SearchBox value={search.query}
 * onChange={search.setQuery} onClear={search.clear} /> and, while `search.active`,
 * <SearchResults search={search} selectedKey={key} onOpen={(key) => ...} /> in place of the
 * message list.
 */
export { SearchBox, isTypingTarget } from './SearchBox';
export { SearchResults } from './SearchResults';
export { useSearch, sharedSearchClient, type UseSearch, type UseSearchOptions, type SearchView, type ServerSearchState } from './use-search';
export { parseQuery, toServerQuery, isEmptyQuery, type SearchQuery, type TextTerm } from './query';
export { SearchClient, SearchCancelled, startSearchWorker, type SearchPort, type SearchOptions } from './search-client';
export type { IndexStatus, SearchPage, ServerFolderHits, ClientMessage, WorkerMessage } from './protocol';
export type { ServerScope } from './server-search';
