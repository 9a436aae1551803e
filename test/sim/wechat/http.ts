/**
 * Shared HTTP plumbing types for the simulator's route modules, plus small boundary parsers: every request
 * body arrives as `unknown` and is checked field by field (no `any` leaks into the modules).
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface SimRequest {
  method: string;
  /** Raw path + query exactly as sent (what the v3 signature covers). */
  rawUrl: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Raw body bytes. */
  body: Buffer;
  /** URL-decoded capture groups of the route pattern. */
  params: string[];
}

export interface V3ErrorDetail {
  field: string;
  value: unknown;
  issue: string;
  location: 'body' | 'query' | 'path' | 'header';
}

/** A WeChat Pay v3 business/protocol error: `{"code","message","detail"?}` with an HTTP status. */
export class V3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: V3ErrorDetail,
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return this.detail ? { code: this.code, message: this.message, detail: this.detail } : { code: this.code, message: this.message };
  }
}

export function paramError(field: string, value: unknown, issue: string, location: V3ErrorDetail['location'] = 'body'): V3Error {
  return new V3Error(400, 'PARAM_ERROR', `输入源“/${location}${field}”映射到值字段“${field.split('/').pop() ?? field}”${issue}`, {
    field,
    value,
    issue,
    location,
  });
}

/** Result of a v3 handler; `json === undefined` means an empty (204) body. Responses are signed centrally. */
export interface V3Reply {
  status: number;
  json?: unknown;
}

export interface V3Context {
  req: SimRequest;
  /** The authenticated merchant id (from Authorization). */
  mchid: string;
  /** Parsed JSON body (undefined for GET). */
  json: unknown;
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type Handler<C, R> = (ctx: C) => R | Promise<R>;

export type Route =
  | { kind: 'v3'; method: string; pattern: RegExp; handle: Handler<V3Context, V3Reply> }
  /** Authenticated like v3, but the reply is a raw (unsigned) file, as for bill downloads. */
  | { kind: 'v3-file'; method: string; pattern: RegExp; handle: Handler<V3Context, RawReply> }
  /** APIv2 XML: gets the parsed params, returns the XML answer (always HTTP 200). */
  | { kind: 'v2'; method: string; pattern: RegExp; handle: Handler<{ req: SimRequest; params: Record<string, string> }, string> }
  /** Mini-program server API: errors are HTTP 200 with {errcode, errmsg}. */
  | { kind: 'mp'; method: string; pattern: RegExp; handle: Handler<{ req: SimRequest; json: unknown }, Record<string, unknown>> }
  | { kind: 'raw'; method: string; pattern: RegExp; handle: Handler<SimRequest, RawReply> };

export function jsonReply(status: number, value: unknown): RawReply {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify(value), 'utf8') };
}

// ---------------------------------------------------------------------------------------------------------
// Boundary parsing helpers

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads fields of an untrusted object and reports the first problem with a path. */
export class Fields {
  constructor(
    private readonly obj: JsonObject,
    private readonly onError: (path: string, value: unknown, issue: string) => Error,
    private readonly prefix = '',
  ) {}

  static of(value: unknown, onError: (path: string, value: unknown, issue: string) => Error): Fields {
    if (!isObject(value)) throw onError('', value, '必须是JSON对象');
    return new Fields(value, onError);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  string(key: string): string {
    const v = this.obj[key];
    if (typeof v !== 'string' || v === '') throw this.onError(`${this.prefix}/${key}`, v, '必须是非空字符串');
    return v;
  }

  optString(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw this.onError(`${this.prefix}/${key}`, v, '必须是字符串');
    return v;
  }

  int(key: string): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw this.onError(`${this.prefix}/${key}`, v, '必须是整数');
    return v;
  }

  optInt(key: string): number | undefined {
    return this.obj[key] === undefined ? undefined : this.int(key);
  }

  optBool(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw this.onError(`${this.prefix}/${key}`, v, '必须是布尔值');
    return v;
  }

  object(key: string): Fields {
    const v = this.obj[key];
    if (!isObject(v)) throw this.onError(`${this.prefix}/${key}`, v, '必须是JSON对象');
    return new Fields(v, this.onError, `${this.prefix}/${key}`);
  }

  optObject(key: string): Fields | undefined {
    return this.obj[key] === undefined ? undefined : this.object(key);
  }

  fail(key: string, issue: string): Error {
    return this.onError(`${this.prefix}/${key}`, this.obj[key], issue);
  }
}

/** Field errors as v3 PARAM_ERROR. */
export const v3Fields = (value: unknown): Fields => Fields.of(value, (path, v, issue) => paramError(path, v, issue));

/** Field errors as plain Errors (control API → HTTP 400 with the message). */
export class ControlInputError extends Error {}
export const controlFields = (value: unknown): Fields =>
  Fields.of(value, (path, v, issue) => new ControlInputError(`${path || 'body'} ${issue} (got ${JSON.stringify(v)})`));

/** A refused control operation (unknown order, wrong state…); the HTTP control API maps it to `status`. */
export class SimError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Recursively sorts object keys (arrays keep their order). */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (isObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeysDeep(value[k])]),
    );
  }
  return value;
}
