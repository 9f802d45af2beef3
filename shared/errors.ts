import { z } from 'zod';

/**
 * Stable error codes. They cross the wire as data and are what the UI, tests and
 * logs match on; the message is for people. Never rename a code: add a new one.
 */
export const ERROR_CODES = [
  // RPC and transport
  'BAD_REQUEST',
  'METHOD_NOT_FOUND',
  'EVENT_NOT_FOUND',
  'CANCELLED',
  'TIMEOUT',
  'DISCONNECTED',
  'PROTOCOL_MISMATCH',
  'UNAUTHORIZED',
  'INTERNAL',
  // Mail servers
  'AUTH_FAILED',
  'SERVER_UNREACHABLE',
  'CONNECTION_TIMEOUT',
  'CERT_UNTRUSTED',
  'CERT_CHANGED',
  'STARTTLS_UNAVAILABLE',
  'NO_AUTH_MECHANISM',
  'SERVER_ERROR',
  // Local state
  'NOT_FOUND',
  'CONFLICT',
  'STORAGE_FAILED',
  // Sending
  /** The server refused one or more recipients (its words are in the message and `details.server`). */
  'RECIPIENT_REJECTED',
  /** The message is larger than the server accepts. */
  'MESSAGE_TOO_LARGE',
  /** The connection dropped after the whole message went out: it may have been sent. Ask the person. */
  'SEND_UNCERTAIN',
  /** The server refused the From address (not one this login may send as). */
  'SENDER_REJECTED',
] as const;

export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorDataSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** Structured facts the UI may show (a certificate's fingerprint, the failing fields...). */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorData = z.infer<typeof ErrorDataSchema>;

/** The one error type that crosses process boundaries. */
export class PetrelError extends Error {
  override readonly name = 'PetrelError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toData(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromData(data: ErrorData): PetrelError {
    return new PetrelError(data.code, data.message, data.details);
  }
}

export function isPetrelError(e: unknown): e is PetrelError {
  return e instanceof PetrelError;
}

/**
 * Turns anything thrown into error data that is safe to send: a PetrelError keeps
 * its code and words; anything else becomes INTERNAL without its stack or message,
 * which may hold paths or secrets.
 */
export function toErrorData(e: unknown): ErrorData {
  if (isPetrelError(e)) return e.toData();
  return { code: 'INTERNAL', message: 'Something went wrong inside Petrel. The error was logged.' };
}
