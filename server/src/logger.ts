/**
 * Structured logs (pino). Personal data never reaches a log line: phone-like fields and secrets
 * are redacted by path, and free text that looks like a mainland mobile number is masked.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

const REDACT = [
  'phone',
  '*.phone',
  '*.*.phone',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: '[redacted]' },
      base: { svc: 'jifen' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPhonesInText(a) : a)) as typeof args;
          method.apply(this, masked);
        },
      },
    },
    destination,
  );
}

export function maskPhonesInText(text: string): string {
  return text.replace(/(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g, '$1****$2');
}
