export { SyncEngine, type SyncEngineOptions, type SyncAccount } from './sync-engine';
export type { BodyRef } from './body-fetcher';
