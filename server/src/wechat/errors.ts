/**
 * What can go wrong talking to WeChat, split by what the caller may conclude:
 * - WxApiError (types.ts): WeChat answered with a business error; the request was refused as sent.
 * - WxSignatureError: an answer arrived but cannot be trusted (probe, unknown serial, stale, bad
 *   signature, bad v2 sign). Treat the outcome as UNKNOWN: query again, never settle on it.
 * - WxTransportError: no answer (timeout, connection refused, TLS). Also UNKNOWN.
 */
import { WxApiError } from './types.js';

export { WxApiError };

/**
 * A refusal whose answer carried no signature at all (a gateway page, possibly 401 SIGN_ERROR): good enough
 * to give up on, never to conclude from. "Order does not exist" is only believed when signed.
 */
export class WxUnverifiedApiError extends WxApiError {
  override name = 'WxUnverifiedApiError';
}

/** A signed 2xx answer this client does not understand (schema drift, a bill failing its SHA1). */
export class WxProtocolError extends Error {
  override name = 'WxProtocolError';
}

export class WxSignatureError extends Error {
  override name = 'WxSignatureError';

  constructor(
    /** probe | missing_headers | unknown_serial | stale_timestamp | bad_signature | bad_sign (v2) … */
    readonly reason: string,
    readonly status: number,
    message: string,
  ) {
    super(`answer ${status} not trusted (${reason}): ${message}`);
  }
}

/**
 * No `cause` on purpose: the underlying axios error carries the request config (headers, body, the
 * plugin's key objects) and would end up in a log line. Message and code are all a caller needs.
 */
export class WxTransportError extends Error {
  override name = 'WxTransportError';

  constructor(
    message: string,
    /** Axios/Node code when there is one: ECONNABORTED, ECONNREFUSED, ETIMEDOUT… */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * WeChat spells the same code differently across doc generations (ORDER_NOT_EXIST / ORDERNOTEXIST,
 * SYSTEM_ERROR / SYSTEMERROR …, §1): compare normalised codes.
 */
export function normalizeWxCode(code: string): string {
  return code.toUpperCase().replaceAll('_', '');
}
