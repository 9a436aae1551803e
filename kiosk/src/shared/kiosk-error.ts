/**
 * The kiosk's error as data: thrown on the device side, carried through IPC or HTTP as
 * `{code, message}` (see Envelope in ipc-contract.ts), thrown again in the renderer. The UI branches on
 * `code` and shows renderer/zh.ts's text for it; `message` is English, for logs.
 */
import type { ErrorBodyView, KioskErrorCode } from '../ipc-contract.js';
import { isPosApiError } from './pos-api.js';

export class KioskError extends Error {
  readonly code: KioskErrorCode;
  constructor(code: KioskErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KioskError';
    this.code = code;
  }

  toBody(): ErrorBodyView {
    return { code: this.code, message: this.message };
  }
}

export function isKioskError(e: unknown): e is KioskError {
  return e instanceof KioskError;
}

/** Any error as an envelope body: kiosk and server codes kept, anything else INTERNAL. */
export function toErrorBody(err: unknown): ErrorBodyView {
  if (isKioskError(err)) return err.toBody();
  if (isPosApiError(err)) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
