/**
 * Request plumbing: a request id on every log line and response, one error mapper, and a body
 * reader that keeps the raw bytes (WeChat Pay signatures are over the exact bytes received).
 */
import { randomUUID } from 'node:crypto';
import { JifenError } from '@jifen/shared';
import type Koa from 'koa';
import { ZodError } from 'zod';
import type { z } from 'zod';
import type { Logger } from '../../logger.js';
import type { AppState } from '../context.js';

export function requestContext(logger: Logger): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = /^[\w-]{8,64}$/.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = logger.child({ reqId: requestId });
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      ctx.state.log.info(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round((performance.now() - started) * 10) / 10 },
        'request',
      );
    }
  };
}

export function errorMapper(): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { error: { code: 'NOT_FOUND', message: `no route for ${ctx.method} ${ctx.path}` } };
      }
    } catch (e) {
      if (e instanceof JifenError) {
        ctx.status = e.status;
        ctx.body = e.toBody();
        if (e.status >= 500) ctx.state.log.error({ err: e }, 'request failed');
        return;
      }
      if (e instanceof ZodError) {
        const err = fromZod(e);
        ctx.status = 400;
        ctx.body = err.toBody();
        return;
      }
      ctx.state.log.error({ err: e }, 'unhandled error');
      ctx.status = 500;
      ctx.body = { error: { code: 'INTERNAL', message: 'internal error' } };
    }
  };
}

export function fromZod(e: ZodError): JifenError {
  const issue = e.issues[0];
  const field = issue?.path.join('.') ?? '';
  const message = issue ? `${field || 'body'}: ${issue.message}` : 'invalid request';
  return new JifenError('VALIDATION_FAILED', message, field || undefined);
}

/** Parses with a shared schema; the error names the first failing field. */
export function validate<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}

const MAX_BODY = 1024 * 1024;

/** Reads the body once, keeps the raw bytes on ctx.state.rawBody, and parses JSON bodies. */
export function bodyReader(): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'DELETE') return next();
    // CSV uploads (the member import) are streamed by their route: files far larger than MAX_BODY.
    if (ctx.is('text/csv')) return next();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_BODY) throw new JifenError('VALIDATION_FAILED', 'request body too large');
      chunks.push(buf);
    }
    const raw = Buffer.concat(chunks);
    ctx.state.rawBody = raw;
    if (raw.length === 0 || !ctx.is('json')) {
      ctx.request.body = {};
    } else {
      try {
        ctx.request.body = JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        throw new JifenError('VALIDATION_FAILED', 'request body is not valid JSON');
      }
    }
    return next();
  };
}
