/**
 * The Node host's entry (`npm run serve`, out/host/host.js). V8's young generation is capped
 * before anything else loads (electron/core/heap.ts), then the host itself (host-main.ts), as
 * the Electron entry does.
 */
import { keepYoungGenerationSmall } from '../core/heap';

keepYoungGenerationSmall();
await import('./host-main');
