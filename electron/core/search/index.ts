export { ServerSearchService, type SearchAccounts, type ServerSearchDeps } from './server-search';
export { searchCriteria } from './criteria';
