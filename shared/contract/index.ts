import type { Contract } from './define';
import { accountEvents, accountMethods } from './accounts';
import { appEvents, appMethods } from './app';
import { attachmentMethods } from './attachments';
import { operationMethods } from './operations';
import { outboxEvents, outboxMethods } from './outbox';
import { remoteMethods } from './remote';
import { searchMethods } from './search';
import { syncEvents, syncMethods } from './sync';

/**
 * The whole IPC contract between the engine (Electron main or the Node host) and the
 * renderer. Written once; both transports and both sides derive from it.
 */
export const contract = {
  methods: { ...appMethods, ...accountMethods, ...syncMethods, ...outboxMethods, ...remoteMethods, ...attachmentMethods, ...operationMethods, ...searchMethods },
  events: { ...appEvents, ...accountEvents, ...syncEvents, ...outboxEvents },
} as const satisfies Contract;

export type PetrelContract = typeof contract;
export * from './define';
export * from './app';
export * from './accounts';
export * from './sync';
export * from './remote';
export * from './outbox';
export * from './attachments';
export * from './search';
export * from './operations';
