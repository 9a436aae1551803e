import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOST_API, HOST_CLIENT_HEADER } from '../ipc-contract.js';
import { ChannelTable } from '../main/ipc.js';
import { createHttpBridge, createKioskClient } from '../shared/kiosk-client.js';
import { startHostServer } from './server.js';
import type { HostServer } from './server.js';

let dir: string;
let host: HostServer;
let table: ChannelTable;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiosk-host-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>积分收银</title>');
  await writeFile(join(dir, 'secret.txt'), 'inside');
  await writeFile(join(tmpdir(), 'kiosk-host-outside.txt'), 'outside');
  table = new ChannelTable();
  table.handle('config:get', () => ({ hasToken: true }) as never);
  table.handle('drawer:open', () => ({ ok: true, reason: null }));
  table.handle('pos:checkout', () => {
    throw Object.assign(new Error('x'), {});
  });
  host = await startHostServer({ table, rendererDir: dir, port: 0, heartbeatMs: 50 });
});

afterEach(async () => {
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

const invoke = (channel: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
  fetch(`${host.url.replace(/\/$/, '')}${HOST_API}/invoke/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [HOST_CLIENT_HEADER]: '1', ...init.headers },
    body: init.body ?? '{"args":[]}',
  });

describe('the browser-mode host', () => {
  it('answers the channel map over HTTP with the same envelopes as IPC', async () => {
    const client = createKioskClient(createHttpBridge({ base: host.url.replace(/\/$/, '') }));
    expect(await client.getConfig()).toEqual({ hasToken: true });
    expect(await client.openDrawer()).toEqual({ ok: true, reason: null });
    await expect(client.checkout({} as never)).rejects.toMatchObject({ code: 'INTERNAL' });
    const res = await invoke('printer:print');
    expect(res.status).toBe(404);
  });

  it('refuses calls that do not come from its own page', async () => {
    expect((await invoke('drawer:open', { headers: { [HOST_CLIENT_HEADER]: '' } })).status).toBe(403);
    expect((await invoke('drawer:open', { headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect((await invoke('drawer:open', { headers: { origin: host.url.replace(/\/$/, '') } })).status).toBe(200);
    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 (fetch cannot set Host, so node:http).
    const rebound = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: host.port, path: '/', headers: { host: `evil.example:${host.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(421);
    expect((await invoke('drawer:open', { body: 'not json' })).status).toBe(400);
    expect((await invoke('drawer:open', { headers: { 'content-type': 'text/plain' } })).status).toBe(415);
  });

  it('serves the UI with the CSP, and nothing outside its directory', async () => {
    const index = await fetch(host.url);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    expect(await index.text()).toContain('积分收银');
    expect((await fetch(`${host.url}secret.txt`)).status).toBe(200);
    expect((await fetch(`${host.url}..%2fkiosk-host-outside.txt`)).status).toBe(404);
    expect((await fetch(`${host.url}%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
  });

  it('streams events as server-sent events', async () => {
    // Opened as an EventSource opens it: no custom header. From another origin: refused.
    const foreign = await fetch(`${host.url.replace(/\/$/, '')}${HOST_API}/events`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    const res = await fetch(`${host.url.replace(/\/$/, '')}${HOST_API}/events`);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    table.emit('queue:onStatus', { online: false, pending: 2, rejected: 0, draining: false, lastError: null, lastSyncAt: null });
    let text = '';
    while (!text.includes('queue:onStatus')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: queue:onStatus\ndata: {"online":false,"pending":2');
    await reader.cancel();
  });
});
