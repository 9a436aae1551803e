import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credit } from '../commands/ledger.js';
import { registerMember } from '../commands/members.js';
import { publishRuleSet } from '../commands/earning.js';
import { inTransaction, lockAccounts } from '../db/dialect.js';
import { PersonalDataCipher } from '../lib/crypto.js';
import { saveAccountBalances } from '../repositories/ledger.repository.js';
import { findAccount } from '../repositories/member.repository.js';
import { createTestDb } from '../test-support/db.js';
import type { TestDb } from '../test-support/db.js';
import { DAY, T0, balances, makeAccount, makeProgram } from '../test-support/fixtures.js';
import { createLogger } from '../logger.js';
import { loadConfig } from '../config.js';
import { createServices } from '../http/services.js';
import { release, renew, tryAcquire } from './lease.js';
import { grantBirthdayGifts, reviewTiers } from './points-jobs.js';
import { startJobs } from './runner.js';

let t: TestDb;
let programId: number;
const cipher = new PersonalDataCipher('jobs-test-data-key-0123456789-0123456789');

beforeAll(async () => {
  t = await createTestDb();
  programId = await makeProgram(t.db, { code: 'JOBS' });
  await publishRuleSet(t.db, {
    programId,
    rules: { grants: { signupBonus: 200, referral: { referrerPoints: 300, refereePoints: 100 }, birthdayGift: 500 } },
    effectiveFrom: T0 - 400 * DAY,
    actor: 'test',
    now: T0 - 400 * DAY,
  });
});
afterAll(async () => t.drop());

describe('monthly tier review', () => {
  it('warns first, downgrades only at a later review after the retention period', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    // Reached gold 13 months ago and earned nothing since.
    await credit(
      { db: t.db, now: () => T0 - 400 * DAY },
      { source: 'test', key: `gold-${accountId}` },
      { accountId, points: 10, growth: 6000, kind: 'earn', expiresAt: null, reason: 'x' },
    );
    expect((await balances(t.db, accountId)).tier_code).toBe('gold');
    await reviewTiers(t.db, T0);
    expect((await balances(t.db, accountId)).tier_code).toBe('gold');
    const warned = await t.db.kysely.selectFrom('account').select('tier_warned_at').where('id', '=', accountId).executeTakeFirstOrThrow();
    expect(warned.tier_warned_at).toBe(T0);
    // The next monthly review: still below, warned a month ago → down to the tier its growth earns.
    await reviewTiers(t.db, T0 + 31 * DAY);
    expect((await balances(t.db, accountId)).tier_code).toBe('bronze');
    const history = await t.db.kysely
      .selectFrom('tier_history')
      .select(['from_code', 'to_code', 'reason'])
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
    expect(history.map((h) => `${h.from_code}>${h.to_code}:${h.reason}`)).toEqual(['bronze>gold:upgrade', 'gold>bronze:review_downgrade']);
  });

  it('keeps a tier held for less than the retention period', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    // Growth earned 400 days ago (outside the rolling window), but silver only since 100 days ago.
    await credit(
      { db: t.db, now: () => T0 - 400 * DAY },
      { source: 'test', key: `silver-${accountId}` },
      { accountId, points: 10, growth: 1500, kind: 'earn', expiresAt: null, reason: 'x' },
    );
    await inTransaction(t.db, async (trx) => {
      const [a] = await lockAccounts(trx, t.db.dialect, [accountId]);
      a!.tier_since = T0 - 100 * DAY;
      a!.tier_warned_at = T0 - 60 * DAY;
      await saveAccountBalances(trx, a!);
    });
    await reviewTiers(t.db, T0);
    expect((await balances(t.db, accountId)).tier_code).toBe('silver');
    // Once the retention period has passed (and the warning stands), the next review lowers it.
    await reviewTiers(t.db, T0 + 266 * DAY);
    expect((await balances(t.db, accountId)).tier_code).toBe('bronze');
  });
});

describe('grants', () => {
  it('signup bonus for a new member; referral bonus for both sides, once per referred member', async () => {
    const deps = { db: t.db, cipher, now: () => T0 };
    const referrer = await registerMember(deps, { phone: '13800000001', grantBonuses: true });
    const referrerRow = await t.db.kysely
      .selectFrom('member')
      .select('referral_code')
      .where('id', '=', referrer.id)
      .executeTakeFirstOrThrow();
    const referee = await registerMember(deps, { phone: '13800000002', referralCode: referrerRow.referral_code, grantBonuses: true });
    const a = await findAccount(t.db.kysely, referrer.id, programId);
    const b = await findAccount(t.db.kysely, referee.id, programId);
    expect(a?.available).toBe(200 + 300);
    expect(b?.available).toBe(200 + 100);
    const again = await registerMember(deps, { phone: '13800000002', referralCode: referrerRow.referral_code, grantBonuses: true }).catch(
      (e: unknown) => e,
    );
    expect(again).toMatchObject({ code: 'MEMBER_EXISTS' });
    expect((await findAccount(t.db.kysely, referrer.id, programId))?.available).toBe(500);
  });

  it('a referral code that does not exist is refused and nobody is created', async () => {
    const e = await registerMember(
      { db: t.db, cipher, now: () => T0 },
      { phone: '13800000003', referralCode: 'ZZZZZZZZ', grantBonuses: true },
    ).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'REFERRAL_INVALID' });
    expect(
      await t.db.kysely.selectFrom('member').select('id').where('phone_hash', '=', cipher.lookupHash('13800000003')).execute(),
    ).toHaveLength(0);
  });

  it('birthday gift once per member per year, however often the job runs', async () => {
    const { id } = await registerMember(
      { db: t.db, cipher, now: () => T0 },
      { phone: '13800000004', birthday: '03-10', grantBonuses: false },
    );
    const first = await grantBirthdayGifts(t.db, T0);
    const second = await grantBirthdayGifts(t.db, T0 + 3_600_000);
    expect(first.items).toBeGreaterThanOrEqual(1);
    expect(second.items).toBe(0);
    expect((await findAccount(t.db.kysely, id, programId))?.available).toBe(500);
    await grantBirthdayGifts(t.db, T0 + 365 * DAY);
    expect((await findAccount(t.db.kysely, id, programId))?.available).toBe(1000);
  });
});

describe('job leases', () => {
  it('one holder at a time; another takes over only after the lease runs out', async () => {
    const a = await tryAcquire(t.db, 'lease-test', 'server-a', 30_000, T0);
    expect(a).not.toBeNull();
    expect(await tryAcquire(t.db, 'lease-test', 'server-b', 30_000, T0 + 1_000)).toBeNull();
    expect(await renew(t.db, a!, 30_000, T0 + 20_000)).toBe(true);
    expect(await tryAcquire(t.db, 'lease-test', 'server-b', 30_000, T0 + 40_000)).toBeNull();
    const b = await tryAcquire(t.db, 'lease-test', 'server-b', 30_000, T0 + 60_000);
    expect(b).not.toBeNull();
    expect(b!.fence).toBeGreaterThan(a!.fence);
    // The old holder has lost it and can tell.
    expect(await renew(t.db, a!, 30_000, T0 + 61_000)).toBe(false);
    await release(t.db, b!);
    expect(await tryAcquire(t.db, 'lease-test', 'server-a', 30_000, T0 + 62_000)).not.toBeNull();
  });

  it('two runners on one database: a job runs in one of them at a time', async () => {
    const config = loadConfig({ JIFEN_SECRET: 'x'.repeat(32), JIFEN_DATA_KEY: 'y'.repeat(32) });
    const services = createServices({ config, db: t.db, logger: createLogger('silent') });
    let inside = 0;
    let maxInside = 0;
    let runs = 0;
    const job = {
      name: 'exclusive-test',
      everyMs: 60_000,
      async run() {
        inside += 1;
        runs += 1;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 50));
        inside -= 1;
      },
    };
    const one = startJobs(services, [job], { autoStart: false });
    const two = startJobs(services, [job], { autoStart: false });
    const ran = await Promise.all([
      one.runOnce('exclusive-test'),
      two.runOnce('exclusive-test'),
      one.runOnce('exclusive-test'),
      two.runOnce('exclusive-test'),
    ]);
    expect(maxInside).toBe(1);
    expect(ran.filter(Boolean).length).toBe(runs);
    await one.stop();
    await two.stop();
  });
});

describe('finding members', () => {
  it('by openid, by unionid, by phone — and never by a phone that was not registered', async () => {
    const { findMember } = await import('../commands/members.js');
    const deps = { db: t.db, cipher, now: () => T0 };
    const { id } = await registerMember(deps, { phone: '13800000009', openid: 'o-find-1', unionid: 'u-find-1', grantBonuses: false });
    expect((await findMember(deps, { openid: 'o-find-1' }))?.id).toBe(id);
    expect((await findMember(deps, { openid: 'o-other', unionid: 'u-find-1' }))?.id).toBe(id);
    expect((await findMember(deps, { phone: '13800000009' }))?.id).toBe(id);
    expect(await findMember(deps, { phone: '13800000010' })).toBeUndefined();
  });
});

describe('two servers starting together on a new database', () => {
  it('both survive creating the bootstrap admin: one creates it, the other finds it', async () => {
    const { ensureBootstrapAdmin } = await import('../commands/staff.js');
    const admin = { username: `race-admin-${Date.now()}`, password: 'race-admin-password' };
    await t.db.kysely.deleteFrom('staff').where('role', '=', 'admin').execute();
    const results = await Promise.all([ensureBootstrapAdmin(t.db, admin, T0), ensureBootstrapAdmin(t.db, admin, T0)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const rows = await t.db.kysely.selectFrom('staff').select('id').where('username', '=', admin.username).execute();
    expect(rows).toHaveLength(1);
  });
});
