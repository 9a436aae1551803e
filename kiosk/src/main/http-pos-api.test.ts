import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PosApiError } from '../shared/pos-api.js';
import { HttpPosApi } from './http-pos-api.js';

type Route = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let server: Server;
let base: string;
let route: Route;
const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];

beforeEach(async () => {
  seen.length = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      route(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('PosApi over HTTP', () => {
  it('sends the terminal token and the body, and reads the order', async () => {
    route = (_req, _body, res) => json(res, 201, { orderId: 1, outTradeNo: 'JF1', status: 'paid' });
    const api = new HttpPosApi({ baseUrl: `${base}/`, token: 'tok-0123456789abcdef' });
    const order = await api.createOrder({
      clientOrderId: 'sale-0001',
      lines: [{ sku: 'OJ', name: '橙汁', qty: 1, unitPriceFen: 1500 }],
      payment: { method: 'cash' },
    });
    expect(order).toMatchObject({ orderId: 1, status: 'paid' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/pos/orders', auth: 'Bearer tok-0123456789abcdef' });
    expect(JSON.parse(seen[0]?.body ?? '{}')).toMatchObject({ clientOrderId: 'sale-0001' });
  });

  it('calls the proposed paths', async () => {
    route = (_req, _body, res) => json(res, 200, { products: [] });
    const api = new HttpPosApi({ baseUrl: base, token: 'tok-0123456789abcdef' });
    await api.lookupProduct('6901234567892');
    await api.searchProducts('橙汁');
    await api.quickKeys();
    await api.lookupMember({ phone: '13900139000' });
    await api.findOrder('JFR1.a.b.c');
    await api.cancelOrder(5);
    await api.redeemVoucher('JFV1.x');
    await api.shiftReport('SH 1');
    await api.closeShift('SH-1', { countedCashFen: 100 });
    await api.signIn({ username: 'zhang', pin: '2468' });
    await api.terminalInfo();
    await api.preview({ lines: [], member: { ref: 'r' } });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /api/pos/products/6901234567892',
      `GET /api/pos/products?q=${encodeURIComponent('橙汁')}&limit=20`,
      'GET /api/pos/quick-keys',
      'POST /api/pos/members/lookup',
      'GET /api/pos/receipts/JFR1.a.b.c',
      'POST /api/pos/orders/5/cancel',
      'POST /api/pos/vouchers/redeem',
      'GET /api/pos/shifts/SH%201/report',
      'POST /api/pos/shifts/SH-1/close',
      'POST /api/pos/staff/session',
      'GET /api/pos/terminal',
      'POST /api/pos/preview',
    ]);
    expect(seen[3]?.body).toBe('{"phone":"13900139000"}'); // the phone never goes into a URL
  });

  it('maps failures: server codes kept, a missing route is ENDPOINT_MISSING, no connection is NETWORK (unreachable)', async () => {
    const api = new HttpPosApi({ baseUrl: base, token: 'tok-0123456789abcdef', timeoutMs: 200 });
    route = (_req, _body, res) => json(res, 409, { error: { code: 'POINTS_INSUFFICIENT', message: 'not enough', field: 'redeemPoints' } });
    const insufficient = await api.orderStatus(1).catch((e: unknown) => e);
    expect(insufficient).toBeInstanceOf(PosApiError);
    expect(insufficient).toMatchObject({ code: 'POINTS_INSUFFICIENT', status: 409, field: 'redeemPoints', unreachable: false });

    route = (req, _body, res) => json(res, 404, { error: { code: 'NOT_FOUND', message: `no route for GET ${req.url}` } });
    expect(await api.terminalInfo().catch((e: unknown) => e)).toMatchObject({ code: 'ENDPOINT_MISSING' });
    route = (_req, _body, res) => json(res, 404, { error: { code: 'NOT_FOUND', message: 'no product 123' } });
    expect(await api.lookupProduct('123').catch((e: unknown) => e)).toMatchObject({ code: 'NOT_FOUND' });

    route = (_req, _body, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<h1>Bad gateway</h1>');
    };
    expect(await api.orderStatus(1).catch((e: unknown) => e)).toMatchObject({ code: 'BAD_RESPONSE', status: 502, unreachable: true });
    route = (_req, _body, res) => json(res, 503, { error: { code: 'PAYMENTS_NOT_CONFIGURED', message: 'no wxpay' } });
    expect(await api.orderStatus(1).catch((e: unknown) => e)).toMatchObject({ code: 'PAYMENTS_NOT_CONFIGURED', unreachable: false });

    route = () => undefined; // never answers
    expect(await api.orderStatus(1).catch((e: unknown) => e)).toMatchObject({ code: 'TIMEOUT', unreachable: true });

    const gone = new HttpPosApi({ baseUrl: 'http://127.0.0.1:1', token: 'tok-0123456789abcdef' });
    expect(await gone.health().catch((e: unknown) => e)).toMatchObject({ code: 'NETWORK', unreachable: true });
  });

  it('keeps the server clock from the Date header', async () => {
    const serverTime = new Date(Date.now() + 3_600_000); // the till's clock is an hour slow
    route = (_req, _body, res) => json(res, 200, { ok: true }, { date: serverTime.toUTCString() });
    const api = new HttpPosApi({ baseUrl: base, token: 'tok-0123456789abcdef' });
    expect(api.serverNow()).toBeNull();
    await api.health();
    const now = api.serverNow();
    expect(now).not.toBeNull();
    expect(Math.abs((now?.getTime() ?? 0) - serverTime.getTime())).toBeLessThan(2_000);
  });
});
