import { useEffect, useState } from 'react';
import type { EventDataOut, EventName, EventParamsIn, PetrelContract } from '../../../shared/contract';
import { useEngine } from './engine-context';

/**
 * The latest value of an engine event stream, kept across reconnects (the Connection
 * re-subscribes and the engine sends the current value first). `params` must be stable.
 */
export function useEngineEvent<E extends EventName<PetrelContract>>(
  event: E,
  params: EventParamsIn<PetrelContract, E>,
): EventDataOut<PetrelContract, E> | undefined {
  const engine = useEngine();
  const [value, setValue] = useState<EventDataOut<PetrelContract, E>>();
  const key = JSON.stringify(params);
  useEffect(() => {
    return engine.subscribe(event, JSON.parse(key) as EventParamsIn<PetrelContract, E>, { next: setValue });
  }, [engine, event, key]);
  return value;
}
