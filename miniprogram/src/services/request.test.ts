import { describe, expect, it, vi } from 'vitest';
import Taro from '../test/taro-mock';
import { errorAnswer, fakeApi, sessionAnswer } from '../test/api';
import { ApiError } from './errors';
import { GET_ATTEMPTS, newIdempotencyKey, request } from './request';
import { getToken, setToken } from './storage';

describe('request wrapper', () => {
  it('sends the member token and returns the body', async () => {
    setToken('tok-A', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/me', { body: { id: 7 } });
    await expect(request('/api/member/me')).resolves.toEqual({ id: 7 });
    expect(api.sent[0]!.headers['authorization']).toBe('Bearer tok-A');
    expect(api.sent[0]!.query).toEqual({});
  });

  it('logs in first when there is no token yet', async () => {
    const api = fakeApi()
      .on('POST /api/member/session', sessionAnswer(null, 'tok-new'))
      .on('GET /api/member/me', { body: { id: 1 } });
    await request('/api/member/me');
    expect(api.calls('POST /api/member/session')[0]!.body).toEqual({ code: 'wx-login-1' });
    expect(api.calls('GET /api/member/me')[0]!.headers['authorization']).toBe('Bearer tok-new');
    expect(getToken()).toBe('tok-new');
  });

  it('on 401 renews the session once (wx.login → POST /api/member/session) and retries once', async () => {
    setToken('tok-old', '2020-01-01T00:00:00Z');
    const api = fakeApi()
      .on('GET /api/member/me', errorAnswer(401, 'UNAUTHENTICATED'), { body: { id: 3 } })
      .on('POST /api/member/session', sessionAnswer({ id: 3 }, 'tok-fresh'));
    await expect(request('/api/member/me')).resolves.toEqual({ id: 3 });
    expect(Taro.login).toHaveBeenCalledTimes(1);
    const gets = api.calls('GET /api/member/me');
    expect(gets.map((r) => r.headers['authorization'])).toEqual(['Bearer tok-old', 'Bearer tok-fresh']);
    expect(api.calls('POST /api/member/session')[0]!.headers['authorization']).toBeUndefined();
  });

  it('a second 401 after renewal is thrown, not looped', async () => {
    setToken('tok-old', '2020-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/me', errorAnswer(401, 'UNAUTHENTICATED')).on('POST /api/member/session', sessionAnswer());
    const err = await request('/api/member/me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(api.calls('GET /api/member/me')).toHaveLength(2);
    expect(api.calls('POST /api/member/session')).toHaveLength(1);
  });

  it('concurrent 401s share one renewal', async () => {
    setToken('tok-old', '2020-01-01T00:00:00Z');
    const api = fakeApi()
      .on('GET /api/member/me', (r) =>
        r.headers['authorization'] === 'Bearer tok-2' ? { body: 'me' } : errorAnswer(401, 'UNAUTHENTICATED'),
      )
      .on('GET /api/member/me/code', (r) =>
        r.headers['authorization'] === 'Bearer tok-2' ? { body: 'code' } : errorAnswer(401, 'UNAUTHENTICATED'),
      )
      .on('POST /api/member/session', sessionAnswer(null, 'tok-2'));
    await expect(Promise.all([request('/api/member/me'), request('/api/member/me/code')])).resolves.toEqual(['me', 'code']);
    expect(api.calls('POST /api/member/session')).toHaveLength(1);
  });

  it('a POST meeting a 401 is replayed once after renewal (the server refused it before acting)', async () => {
    setToken('tok-old', '2020-01-01T00:00:00Z');
    const api = fakeApi()
      .on('POST /api/member/claims', errorAnswer(401, 'UNAUTHENTICATED'), { body: { pointsEarned: 5 } })
      .on('POST /api/member/session', sessionAnswer());
    await expect(request('/api/member/claims', { method: 'POST', body: { code: 'JFR1.x' } })).resolves.toEqual({ pointsEarned: 5 });
    expect(api.calls('POST /api/member/claims').map((r) => r.body)).toEqual([{ code: 'JFR1.x' }, { code: 'JFR1.x' }]);
  });

  it('throws typed errors with the server code, status and field', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('POST /api/member/claims', {
      status: 409,
      body: { error: { code: 'CODE_USED', message: 'already claimed', field: 'code' } },
    });
    const err = await request('/api/member/claims', { method: 'POST', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'CODE_USED', status: 409, field: 'code', message: 'already claimed' });
  });

  it('names errors without a body by status', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    fakeApi().on('POST /api/member/x', { status: 429, body: 'slow down' }).on('POST /api/member/y', { status: 500, body: null });
    await expect(request('/api/member/x', { method: 'POST' })).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    await expect(request('/api/member/y', { method: 'POST' })).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 500 });
  });

  it('never retries a POST whose answer was lost (network error or 503)', async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi()
      .on('POST /api/member/claims', { networkError: true })
      .on('POST /api/member/exchange', { status: 503, body: null });
    await expect(request('/api/member/claims', { method: 'POST', body: { code: 'c' } })).rejects.toMatchObject({
      code: 'NETWORK',
      status: 0,
    });
    await expect(request('/api/member/exchange', { method: 'POST', body: {} })).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(api.calls('POST /api/member/claims')).toHaveLength(1);
    expect(api.calls('POST /api/member/exchange')).toHaveLength(1);
  });

  it('never retries a DELETE whose answer was lost', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('DELETE /api/member/me', { status: 502, body: null });
    await expect(request('/api/member/me', { method: 'DELETE' })).rejects.toMatchObject({ status: 502 });
    expect(api.calls('DELETE /api/member/me')).toHaveLength(1);
  });

  it(`retries a GET after network errors and 502/503/504, up to ${GET_ATTEMPTS} attempts`, async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/me', { networkError: true }, { status: 503, body: null }, { body: { ok: 1 } });
    const p = request('/api/member/me');
    await vi.runAllTimersAsync();
    await expect(p).resolves.toEqual({ ok: 1 });
    expect(api.calls('GET /api/member/me')).toHaveLength(3);
  });

  it('gives up on a GET after the last attempt with a typed error', async () => {
    vi.useFakeTimers();
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/me', { networkError: true });
    const p = request('/api/member/me').catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(await p).toMatchObject({ code: 'NETWORK' });
    expect(api.calls('GET /api/member/me')).toHaveLength(GET_ATTEMPTS);
  });

  it('does not retry a GET refused for a reason (4xx)', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    const api = fakeApi().on('GET /api/member/orders/9', errorAnswer(404, 'ORDER_NOT_FOUND'));
    await expect(request('/api/member/orders/9')).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });
    expect(api.sent).toHaveLength(1);
  });

  it('builds the query string and uses the build-time base URL', async () => {
    setToken('t', '2030-01-01T00:00:00Z');
    (globalThis as unknown as { JIFEN_API_BASE: string }).JIFEN_API_BASE = 'http://127.0.0.1:3000/';
    fakeApi().on('GET /api/member/me/history', { body: { entries: [], nextCursor: null } });
    await request('/api/member/me/history', { query: { cursor: 'a b', limit: 20, skip: undefined } });
    const url = (Taro.request.mock.calls[0]![0] as { url: string }).url;
    expect(url).toBe('http://127.0.0.1:3000/api/member/me/history?cursor=a%20b&limit=20');
  });

  it('renewal failures surface as typed errors', async () => {
    Taro.login.mockResolvedValueOnce({ errMsg: 'login:ok' } as never);
    fakeApi();
    await expect(request('/api/member/me')).rejects.toMatchObject({ code: 'LOGIN_FAILED' });
  });
});

describe('helpers', () => {
  it('idempotency keys fit the shared schema', () => {
    const key = newIdempotencyKey('redeem-12');
    expect(key).toMatch(/^[\w.:-]{8,128}$/);
    expect(newIdempotencyKey('x')).not.toBe(newIdempotencyKey('x'));
  });
});
