import type { z } from 'zod';

/** A request/response method: what the caller sends and what it gets back. */
export interface MethodSpec<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly params: P;
  readonly result: R;
}

/** An event stream: what the subscriber asks for and what each event carries. */
export interface EventSpec<P extends z.ZodType = z.ZodType, D extends z.ZodType = z.ZodType> {
  readonly params: P;
  readonly data: D;
}

export interface Contract {
  readonly methods: Readonly<Record<string, MethodSpec>>;
  readonly events: Readonly<Record<string, EventSpec>>;
}

export const method = <P extends z.ZodType, R extends z.ZodType>(params: P, result: R): MethodSpec<P, R> => ({
  params,
  result,
});
export const event = <P extends z.ZodType, D extends z.ZodType>(params: P, data: D): EventSpec<P, D> => ({
  params,
  data,
});

export type MethodName<C extends Contract> = keyof C['methods'] & string;
export type EventName<C extends Contract> = keyof C['events'] & string;

/** What a caller passes (schema input) and what a handler receives (schema output). */
export type ParamsIn<C extends Contract, M extends MethodName<C>> = z.input<C['methods'][M]['params']>;
export type ParamsOut<C extends Contract, M extends MethodName<C>> = z.output<C['methods'][M]['params']>;
export type ResultIn<C extends Contract, M extends MethodName<C>> = z.input<C['methods'][M]['result']>;
export type ResultOut<C extends Contract, M extends MethodName<C>> = z.output<C['methods'][M]['result']>;
export type EventParamsIn<C extends Contract, E extends EventName<C>> = z.input<C['events'][E]['params']>;
export type EventParamsOut<C extends Contract, E extends EventName<C>> = z.output<C['events'][E]['params']>;
export type EventDataIn<C extends Contract, E extends EventName<C>> = z.input<C['events'][E]['data']>;
export type EventDataOut<C extends Contract, E extends EventName<C>> = z.output<C['events'][E]['data']>;
