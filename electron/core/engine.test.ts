import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contract } from '../../shared/contract';
import { createRpcServer, Engine } from './engine';
import { createLogger } from './log';

describe('createRpcServer', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  // A method without a handler fails only when the renderer calls it, and some calls are fire
  // and forget (sync.applied): the contract and the composition root must not drift apart.
  it('serves every method and event of the contract', async () => {
    dir = await mkdtemp(join(tmpdir(), 'petrel-engine-'));
    const engine = new Engine({ dataDir: dir, version: '0.0.0', logger: createLogger('test', () => undefined) });
    try {
      const server = createRpcServer(engine, 'memory');
      const missing = [
        ...Object.keys(contract.methods).filter((m) => !server.methodHandler(m)),
        ...Object.keys(contract.events).filter((e) => !server.eventSource(e)),
      ];
      expect(missing).toEqual([]);
      expect(Object.keys(contract.methods)).toContain('sync.applied');
    } finally {
      await engine.close();
    }
  });
});
