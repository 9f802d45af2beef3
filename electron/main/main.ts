/**
 * Electron entry (built to out/main/main.js, ESM). V8's young generation is capped before
 * anything else loads (electron/core/heap.ts), then the app itself (main-app.ts). The top-level
 * await holds Electron's 'ready' until main-app has run its pre-ready calls (Electron's ESM
 * guide: 'ready' waits for the entry point to resolve).
 */
import { keepYoungGenerationSmall } from '../core/heap';

keepYoungGenerationSmall();
await import('./main-app');
