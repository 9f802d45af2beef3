/* eslint-disable no-var -- ambient globals are declared with var, as lib.dom.d.ts does */
/**
 * The few globals that both Node and browsers provide, declared for the `shared`
 * project alone, so that shared code cannot reach for anything Node-only or
 * DOM-only (the type checker refuses it). The node and web projects use their
 * real library types instead and exclude this file.
 */
declare function setTimeout(handler: () => void, timeout?: number): SharedTimer;
declare function clearTimeout(timer: SharedTimer | undefined): void;
declare function queueMicrotask(callback: () => void): void;
interface SharedTimer {
  readonly __sharedTimer: unique symbol;
}

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
declare var AbortSignal: { prototype: AbortSignal; abort(reason?: unknown): AbortSignal };
interface AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}
declare var AbortController: { prototype: AbortController; new (): AbortController };
