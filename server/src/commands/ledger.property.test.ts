/**
 * Property test: random sequences of every ledger operation, including replays of earlier
 * postings and refusals, must leave every account consistent — cached balances equal the entries,
 * lots sum to the balance, no lot below zero — and a replay must change nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JifenError } from '@jifen/shared';
import { inTransaction } from '../db/dialect.js';
import { expireDuePoints, releaseDuePoints } from '../jobs/points-jobs.js';
import { createTestDb, testDialect } from '../test-support/db.js';
import type { TestDb } from '../test-support/db.js';
import { DAY, TestClock, makeAccount, makeProgram } from '../test-support/fixtures.js';
import { confirmHold, credit, debit, exchange, hold, releaseHold, reverse, verifyAccount } from './ledger.js';
import type { Idempotency, PostingResult } from './ledger.js';

type Op =
  | { op: 'earn'; points: number; pending: boolean; expiresInDays: number | null; growth: number }
  | { op: 'grant'; points: number; expiresInDays: number | null }
  | { op: 'spend'; points: number }
  | { op: 'hold'; points: number }
  | { op: 'confirm'; pick: number }
  | { op: 'release'; pick: number }
  | { op: 'reverseEarn'; pick: number; share: number }
  | { op: 'reverseSpend'; pick: number; share: number }
  | { op: 'exchange'; points: number }
  | { op: 'advance'; days: number }
  | { op: 'replay'; pick: number };

const points = fc.integer({ min: 1, max: 400 });
const pick = fc.nat({ max: 1000 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('earn' as const),
      points,
      pending: fc.boolean(),
      expiresInDays: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
      growth: fc.nat({ max: 500 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('grant' as const),
      points,
      expiresInDays: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('spend' as const), points }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('hold' as const), points }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('confirm' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reverseEarn' as const), pick, share: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reverseSpend' as const), pick, share: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('exchange' as const), points }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('replay' as const), pick }) },
);

let t: TestDb;
let programA: number;
let programB: number;

beforeAll(async () => {
  t = await createTestDb();
  programA = await makeProgram(t.db);
  programB = await makeProgram(t.db, { isDefault: false });
});
afterAll(async () => t.drop());

async function entryCount(): Promise<number> {
  const row = await t.db.kysely
    .selectFrom('ledger_entry')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('ledger invariants under random operation sequences', () => {
  it('keeps balances, entries and lots consistent, and replays change nothing', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: testDialect() === 'mysql' ? 25 : 40, size: 'max' }), async (ops) => {
        run += 1;
        const clock = new TestClock();
        const deps = { db: t.db, now: clock.now };
        const { memberId, accountId: a } = await makeAccount(t.db, programA);
        const { accountId: b } = await makeAccount(t.db, programB, memberId);
        const earns: number[] = [];
        const spends: number[] = [];
        const holds: number[] = [];
        const done: Array<() => Promise<PostingResult>> = [];
        let seq = 0;
        const idem = (): Idempotency => ({ source: 'prop', key: `r${run}-${++seq}-${memberId}` });
        const at = <T>(list: T[], i: number): T | undefined => (list.length ? list[i % list.length] : undefined);

        for (const o of ops) {
          const k = idem();
          let call: (() => Promise<PostingResult>) | null = null;
          switch (o.op) {
            case 'earn': {
              // Inputs are fixed now, so a later replay sends exactly the same request.
              const input = {
                accountId: a,
                points: o.points,
                growth: o.growth,
                kind: 'earn' as const,
                pendingUntil: o.pending ? clock.t + 7 * DAY : null,
                expiresAt: o.expiresInDays === null ? null : clock.t + o.expiresInDays * DAY,
                reason: 'earn',
              };
              call = () => credit(deps, k, input);
              break;
            }
            case 'grant': {
              const input = {
                accountId: a,
                points: o.points,
                kind: 'grant' as const,
                expiresAt: o.expiresInDays === null ? null : clock.t + o.expiresInDays * DAY,
                reason: 'grant',
              };
              call = () => credit(deps, k, input);
              break;
            }
            case 'spend':
              call = () => debit(deps, k, { accountId: a, points: o.points, kind: 'spend', reason: 'spend' });
              break;
            case 'hold':
              call = () => hold(deps, k, { accountId: a, points: o.points, reason: 'hold' });
              break;
            case 'confirm': {
              const h = at(holds, o.pick);
              if (h !== undefined) call = () => confirmHold(deps, k, { holdId: h });
              break;
            }
            case 'release': {
              const h = at(holds, o.pick);
              if (h !== undefined) call = () => releaseHold(deps, k, { holdId: h });
              break;
            }
            case 'reverseEarn': {
              const e = at(earns, o.pick);
              if (e !== undefined) call = () => reverse(deps, k, { entryId: e, points: o.share, growth: o.share, reason: 'refund' });
              break;
            }
            case 'reverseSpend': {
              const e = at(spends, o.pick);
              if (e !== undefined) call = () => reverse(deps, k, { entryId: e, points: o.share, reason: 'return' });
              break;
            }
            case 'exchange':
              call = () =>
                exchange(deps, k, {
                  fromAccountId: a,
                  toAccountId: b,
                  points: o.points,
                  toPoints: o.points * 2,
                  toExpiresAt: null,
                  reason: 'exchange',
                });
              break;
            case 'advance':
              clock.advance(o.days * DAY);
              await releaseDuePoints(t.db, clock.t);
              await expireDuePoints(t.db, clock.t);
              break;
            case 'replay': {
              const again = at(done, o.pick);
              if (again) {
                const before = await entryCount();
                const r = await again();
                expect(r.replayed).toBe(true);
                expect(await entryCount()).toBe(before);
              }
              break;
            }
          }
          if (!call) continue;
          try {
            const r = await call();
            done.push(call);
            if (o.op === 'earn' || o.op === 'grant') earns.push(r.entryId);
            if (o.op === 'spend') spends.push(r.entryId);
            if (o.op === 'hold') holds.push(r.entryId);
            if (o.op === 'confirm') spends.push(r.entryId);
          } catch (e) {
            // Business refusals are expected in random sequences; anything else is a bug.
            if (!(e instanceof JifenError)) throw e;
          }
        }
        for (const id of [a, b]) {
          const check = await inTransaction(t.db, (trx) => verifyAccount(trx, id));
          expect(check.problems).toEqual([]);
        }
      }),
      { numRuns: testDialect() === 'mysql' ? 40 : 150 },
    );
  });
});
