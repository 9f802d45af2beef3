import type { Contract } from './define';
import { appEvents, appMethods } from './app';

/**
 * The whole IPC contract between the engine (Electron main or the Node host) and the
 * renderer. Written once; both transports and both sides derive from it.
 */
export const contract = {
  methods: { ...appMethods },
  events: { ...appEvents },
} as const satisfies Contract;

export type PetrelContract = typeof contract;
export * from './define';
export * from './app';
