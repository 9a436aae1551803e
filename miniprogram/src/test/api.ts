/**
 * A fake member API behind the Taro.request mock: tests register answers per `METHOD /path` and read back
 * what was sent. Unregistered routes answer 404 NOT_FOUND, like the server.
 */
import Taro from './taro-mock';

export interface SentRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
}

export interface Answer {
  status?: number;
  body?: unknown;
  /** Fail at the network level (no response). */
  networkError?: boolean;
}

type Responder = Answer | ((req: SentRequest) => Answer | Promise<Answer>);

export function fakeApi() {
  const routes = new Map<string, Responder[]>();
  const sent: SentRequest[] = [];

  Taro.request.mockImplementation(async (opts: unknown) => {
    const o = opts as { url: string; method?: string; data?: unknown; header?: Record<string, string> };
    const url = new URL(o.url);
    const req: SentRequest = {
      method: (o.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: o.data,
      headers: o.header ?? {},
    };
    sent.push(req);
    const key = `${req.method} ${req.path}`;
    const queue = routes.get(key);
    // A queue answers in order and keeps repeating its last answer.
    const responder = queue && queue.length > 1 ? queue.shift()! : queue?.[0];
    const answer =
      typeof responder === 'function'
        ? await responder(req)
        : (responder ?? { status: 404, body: { error: { code: 'NOT_FOUND', message: `no route ${key}` } } });
    if (answer.networkError) throw Object.assign(new Error('request:fail'), { errMsg: 'request:fail net::ERR_CONNECTION_RESET' });
    return { statusCode: answer.status ?? 200, data: answer.body ?? null, header: {} };
  });

  const api = {
    sent,
    /** Answers for `METHOD /path`, in order; the last one repeats. */
    on(key: string, ...answers: Responder[]) {
      routes.set(key, answers);
      return api;
    },
    calls(key: string): SentRequest[] {
      return sent.filter((r) => `${r.method} ${r.path}` === key);
    },
  };
  return api;
}

/** A session answer as POST /api/member/session gives it. */
export function sessionAnswer(member: unknown = null, token = 'tok-1'): Answer {
  return { status: 200, body: { token, expiresAt: '2030-01-01T00:00:00.000Z', member } };
}

export function errorAnswer(status: number, code: string, message = code): Answer {
  return { status, body: { error: { code, message } } };
}
