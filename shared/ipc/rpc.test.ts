import { createMemoryTransportPair } from './memory-transport';
import { describeRpcConformance } from './testing/conformance';

describeRpcConformance('the in-memory pair', async (server) => {
  const [a, b] = createMemoryTransportPair();
  server.attach(b);
  return a;
});
