import { safeStorage } from 'electron';
import { PetrelError } from '../../shared/errors';
import type { SecretCodec } from '../core/secrets/secret-store';

/**
 * Passwords encrypted with the OS keychain (Keychain, DPAPI, libsecret/kwallet) through
 * Electron's safeStorage. Refuses to store anything when only the "basic_text" backend is
 * available on Linux, which would be plain text with extra steps.
 */
export function safeStorageCodec(): SecretCodec {
  // Checked on use, not at start: the app must open (and show the error where a password is saved).
  return {
    kind: 'electron-safeStorage',
    encode: (plain) => {
      assertKeychain();
      return safeStorage.encryptString(plain).toString('base64');
    },
    decode: (stored) => {
      assertKeychain();
      return safeStorage.decryptString(Buffer.from(stored, 'base64'));
    },
  };
}

function assertKeychain(): void {
  if (!safeStorage.isEncryptionAvailable()) {
    throw new PetrelError('STORAGE_FAILED', 'The system keychain is not available, so Petrel cannot keep passwords safely.');
  }
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    throw new PetrelError(
      'STORAGE_FAILED',
      'No system keychain (GNOME Keyring or KWallet) is running, so Petrel cannot keep passwords safely.',
    );
  }
}
