import type { PetrelPipe } from '../../../shared/ipc/pipe';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser served by the Node host. */
    petrelPipe?: PetrelPipe;
  }
}

export {};
