import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../../test-support/server.js';
import type { TestServer } from '../../test-support/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s.close());

describe('CORS', () => {
  it('answers the preflight of an allowed origin on the member API', async () => {
    const res = await fetch(`${s.url}/api/member/me`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:3300',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3300');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });

  it('refuses other origins and never opens the admin API', async () => {
    const evil = await fetch(`${s.url}/api/member/me`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const admin = await fetch(`${s.url}/api/admin/session`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:3300', 'access-control-request-method': 'POST' },
    });
    expect(admin.status).toBe(403);
  });
});
