/** A CSV export of thousands of rows arrives in chunks, as it is read, with every row. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../lib/ids.js';
import { blankMember } from '../../../repositories/member.repository.js';
import { makeProgram } from '../../../test-support/fixtures.js';
import { startTestServer } from '../../../test-support/server.js';
import type { TestServer } from '../../../test-support/server.js';

const BUYERS = 3000;
let s: TestServer;
let admin: string;

beforeAll(async () => {
  s = await startTestServer();
  const k = s.testDb.db.kysely;
  const programId = await makeProgram(s.testDb.db, { code: 'JIFEN' });
  const brandId = newId();
  const storeId = newId();
  await k.insertInto('brand').values({ id: brandId, code: 'FRESH', name: '鲜果坊', program_id: programId, created_at: 0 }).execute();
  await k.insertInto('store').values({ id: storeId, code: 'S001', name: '一店', brand_id: brandId, address: '', created_at: 0 }).execute();
  const placed = Date.parse('2026-03-15T02:00:00Z');
  for (let i = 0; i < BUYERS; i += 500) {
    const members = Array.from({ length: 500 }, (_, j) => blankMember(newId(), `S${String(i + j).padStart(7, '0')}`, placed));
    await k.insertInto('member').values(members).execute();
    await k
      .insertInto('pay_order')
      .values(
        members.map((m, j) => ({
          id: newId(),
          out_trade_no: `ST${m.id}`,
          client_order_id: null,
          channel: 'pos',
          terminal_id: null,
          store_id: storeId,
          brand_id: brandId,
          program_id: programId,
          member_id: m.id,
          payment_method: 'cash',
          status: 'paid',
          description: '商品',
          lines: '[]',
          amount_fen: 100 * (i + j + 1),
          points_paid: 0,
          points_paid_fen: 0,
          payable_fen: 100 * (i + j + 1),
          hold_id: null,
          rule_set_id: null,
          code_url: null,
          prepay_id: null,
          transaction_id: null,
          payer_openid: null,
          payer_total_fen: 100 * (i + j + 1),
          coupon_fen: 0,
          earn_entry_id: null,
          points_earned: 0,
          refunded_fen: 0,
          flag: null,
          placed_at: placed + j,
          expires_at: placed + 900_000,
          paid_at: placed + j,
          updated_at: placed + j,
        })),
      )
      .execute();
  }
  admin = await s.signIn();
});
afterAll(async () => s.close());

describe('GET /api/admin/reports/rfm?format=csv&table=members', () => {
  it('streams every member in chunks: chunked transfer, many reads, one line per member', async () => {
    const res = await fetch(`${s.url}/api/admin/reports/rfm?from=2026-03-01&to=2026-03-31&format=csv&table=members`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    let reads = 0;
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      reads += 1;
      text += decoder.decode(chunk, { stream: true });
    }
    const lines = text.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('memberId,segment,churn,r,f,m,recencyDays,orders,amountFen,lastPurchase,phone,name');
    expect(lines).toHaveLength(1 + BUYERS);
    expect(reads).toBeGreaterThan(1);
    const ids = lines.slice(1).map((l) => Number(l.split(',')[0]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // The biggest spender (￥3,000) bought once, 16.6 days before the end: new, M score 3.
    expect(lines.filter((l) => l.includes(',new,,3,1,3,16,1,300000,'))).toHaveLength(1);
  });
});
