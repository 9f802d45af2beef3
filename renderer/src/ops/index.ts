/**
 * Message operations: the local phase (local.ts) and the runner that hands them to the engine
 * (runner.ts). The UI changes mail state only through `OpsRunner.run`.
 */
export { OpsRunner, startOps, isRetryable, type OpsConnection, type OpsRunnerOptions } from './runner';
export { applyLocal, revertLocal, localEffect, pendingOpsOverlay, isUnconfirmed, type LocalEffect } from './local';
export { OpsProvider, useOps } from './react';
export { respondedDraft } from './mark-responded';
