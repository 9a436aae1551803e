/**
 * kill -9 in the middle of a notification storm.
 *
 * One server process (`pnpm jifen serve`, MariaDB, JIFEN_JOBS=off so only the notifications can settle
 * anything) takes ORDER_COUNT WeChat Native member orders at the till. The shopper then pays all of them
 * at the simulator as fast as it goes, so WeChat fires ORDER_COUNT notifications at once (with a short
 * answer limit, so slow answers are retried too). Once a few hundred orders are paid the server is
 * killed with SIGKILL, transactions half done; WeChat keeps retrying on its (compressed) schedule
 * against the same URL, and the server comes back on the same port. In the end every order must be
 * paid, every order must have exactly one earn entry, the ledger must verify, and the delivery log must
 * show the outage: failed deliveries followed by successful ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWechatSimulator, type DeliveryRecord, type WechatSimulator } from '../sim/wechat/index.js';
import {
  baseEnv,
  createMemberOrder,
  createTestDatabase,
  freePort,
  issueTerminal,
  mapConcurrent,
  runJifen,
  serverProcess,
  sleep,
  waitFor,
  wechatEnv,
  type PosOrder,
  type ServerProcess,
  type TestDatabase,
} from './support.js';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got ${raw})`);
  return n;
}

/** Orders in the storm (JIFEN_E2E_STORM_ORDERS overrides; 2,000 is the requirement). */
const ORDER_COUNT = intEnv('JIFEN_E2E_STORM_ORDERS', 2000);
/** The server is killed once this many orders are paid. */
const KILL_AFTER = Math.min(300, Math.max(1, Math.floor(ORDER_COUNT * 0.15)));
/** Orders created in parallel at the till. */
const CREATE_CONCURRENCY = 16;
/** WeChat's retry schedule ×0.002: 15 s → 30 ms, 3 min → 360 ms, 10 min → 1.2 s, 30 min → 3.6 s. */
const TIME_FACTOR = 0.002;
/** The merchant's time to answer a notification (WeChat: 5 s). */
const DELIVERY_TIMEOUT_MS = 2_000;

const FILE_TIMEOUT_MS = 8 * 60_000;

describe('crash storm: SIGKILL while WeChat delivers payment notifications', () => {
  let db: TestDatabase | undefined;
  let sim: WechatSimulator | undefined;
  let server: ServerProcess | undefined;
  let env: Record<string, string> = {};
  let till = '';
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const t0 = Date.now();
    db = await createTestDatabase();
    sim = await startWechatSimulator({
      port: 0,
      timeFactor: TIME_FACTOR,
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
      allowHttpNotifyUrl: true,
      keyMode: 'publicKey',
    });
    const port = await freePort();
    env = { ...baseEnv(db.url), ...wechatEnv(sim, `http://127.0.0.1:${port}`), JIFEN_JOBS: 'off' };
    const seeded = await runJifen(['seed', '--demo'], env);
    expect(seeded.code, seeded.stderr).toBe(0);
    server = serverProcess('jifen', port, env);
    await server.start();
    till = await issueTerminal(server.url);
    timings.setupMs = Date.now() - t0;
  }, 120_000);

  afterAll(async () => {
    await server?.stop('SIGTERM').catch(() => undefined);
    await sim?.close();
    await db?.drop();
    console.info(`[crash-storm] ${ORDER_COUNT} orders, timings (ms): ${JSON.stringify(timings)}`);
  }, 60_000);

  it(
    `settles ${ORDER_COUNT} orders exactly once across a kill -9 and a restart`,
    async () => {
      if (!db || !sim || !server) throw new Error('setup failed');
      const d = db;
      const s = sim;
      const srv = server;

      // 1. The till takes the orders (16 at a time), each for a demo member.
      let t = Date.now();
      const tag = `storm${Date.now().toString(36)}`;
      const orders: PosOrder[] = await mapConcurrent(ORDER_COUNT, CREATE_CONCURRENCY, (i) => createMemberOrder(srv.url, till, tag, i));
      timings.createOrdersMs = Date.now() - t;
      const outTradeNos = orders.map((o) => o.outTradeNo);
      const mine = new Set(outTradeNos);
      expect(mine.size).toBe(ORDER_COUNT);
      expect(orders.every((o) => o.status === 'pending' && o.memberId !== null)).toBe(true);

      const paidCount = async (): Promise<number> =>
        Number((await d.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM pay_order WHERE status = 'paid'`))[0]?.n ?? 0);
      expect(await paidCount()).toBe(0);

      // 2. The storm: every shopper pays; the simulator notifies at once. Paid in slices so that the
      //    watcher below gets the event loop (each payment signs its notification with RSA).
      const stormStartedAt = Date.now();
      let paying = true;
      const payAll: Promise<void> = (async () => {
        for (let i = 0; i < outTradeNos.length; i++) {
          s.pay(outTradeNos[i]!, { openid: `o-storm-shopper-${i % 50}` });
          if (i % 20 === 19) await new Promise<void>((resolve) => setImmediate(resolve));
        }
        paying = false;
      })();
      payAll.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled

      // 3. kill -9 once a few hundred are paid, with the rest in flight.
      let paidSeenBeforeKill = 0;
      await waitFor(
        async () => {
          paidSeenBeforeKill = await paidCount();
          return paidSeenBeforeKill >= KILL_AFTER ? true : undefined;
        },
        120_000,
        () => `${KILL_AFTER} paid orders (seen ${paidSeenBeforeKill})`,
        20,
      );
      const stillPaying = paying;
      const killedAt = Date.now();
      await srv.stop('SIGKILL');
      timings.stormToKillMs = killedAt - stormStartedAt;
      const paidAtKill = await paidCount();
      // The kill must land in the middle of the storm, or this test proves nothing.
      expect(paidAtKill).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(paidAtKill).toBeLessThan(ORDER_COUNT);

      // 4. The outage: WeChat's deliveries fail (connection refused) and are rescheduled.
      await waitFor(
        () => (s.deliveries().some((r) => r.startedAt > killedAt && !r.success && !r.pending) ? true : undefined),
        30_000,
        () => 'a failed delivery during the outage',
        20,
      );
      await sleep(500);
      const restartAt = Date.now();
      await srv.start({ ready: 'listening', timeoutMs: 120_000 });
      const upAgainAt = Date.now();
      timings.outageMs = upAgainAt - killedAt;
      await payAll;

      // 5. WeChat's retries settle the rest.
      t = Date.now();
      let paidNow = 0;
      await waitFor(
        async () => {
          paidNow = await paidCount();
          return paidNow >= ORDER_COUNT ? true : undefined;
        },
        240_000,
        () => `all ${ORDER_COUNT} orders paid (${paidNow} are)`,
        250,
      );
      timings.restartToAllPaidMs = Date.now() - t;
      // Let WeChat hear its last 2xx answers, so the delivery log is complete.
      await waitFor(
        () => (s.events().every((e) => e.state === 'delivered') ? true : undefined),
        120_000,
        () => `every event delivered (${s.events().filter((e) => e.state !== 'delivered').length} not yet)`,
        250,
      );
      timings.stormToAllDeliveredMs = Date.now() - stormStartedAt;

      // --- Every order paid, once. ---
      const rows = await d.rows<{ out_trade_no: string; status: string; points_earned: number; earn_entry_id: number | null }>(
        'SELECT out_trade_no, status, points_earned, earn_entry_id FROM pay_order',
      );
      expect(rows).toHaveLength(ORDER_COUNT);
      expect(rows.filter((r) => !mine.has(r.out_trade_no))).toEqual([]);
      expect(rows.filter((r) => r.status !== 'paid').map((r) => `${r.out_trade_no}:${r.status}`)).toEqual([]);

      // --- Exactly one earn entry per order, and it is the one the order points at. ---
      const earns = await d.rows<{ id: number; order_ref: string | null; points: number; pending_delta: number }>(
        `SELECT id, order_ref, points, pending_delta FROM ledger_entry WHERE kind = 'earn' AND (order_ref IS NULL OR order_ref NOT LIKE 'DEMO-%')`,
      );
      const perOrder = new Map<string, typeof earns>();
      for (const e of earns) perOrder.set(e.order_ref ?? '(none)', [...(perOrder.get(e.order_ref ?? '(none)') ?? []), e]);
      const twice = [...perOrder].filter(([, list]) => list.length > 1).map(([ref, list]) => `${ref}×${list.length}`);
      expect(twice, 'orders credited more than once').toEqual([]);
      expect(earns).toHaveLength(ORDER_COUNT);
      expect([...perOrder.keys()].filter((ref) => !mine.has(ref))).toEqual([]);
      // (Zero-point entries are right once a member reaches the demo rules' cap of 20,000 points a day.)
      const wrongLink = rows.filter((r) => {
        const e = perOrder.get(r.out_trade_no)?.[0];
        return !e || r.earn_entry_id !== e.id || r.points_earned !== e.points + e.pending_delta;
      });
      expect(
        wrongLink.slice(0, 5).map((r) => ({ order: r, entries: perOrder.get(r.out_trade_no) })),
        `${wrongLink.length} orders whose earn entry is missing or not the one recorded`,
      ).toEqual([]);
      expect(rows.filter((r) => r.points_earned > 0).length).toBeGreaterThan(0);

      // --- Cached balances equal entries and lots. ---
      const verify = await runJifen(['verify-ledger'], env, 120_000);
      expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);

      // --- The delivery log: one event per order; failures during the outage, then successes. ---
      const events = s.events({ eventType: 'TRANSACTION.SUCCESS' });
      expect(events).toHaveLength(ORDER_COUNT);
      const byEvent = new Map<string, DeliveryRecord[]>();
      for (const r of s.deliveries({ eventType: 'TRANSACTION.SUCCESS' })) byEvent.set(r.eventId, [...(byEvent.get(r.eventId) ?? []), r]);
      const outageFailures = new Map<string, DeliveryRecord>();
      for (const [id, list] of byEvent) {
        const failed = list.find((r) => !r.success && r.startedAt >= killedAt && r.startedAt < upAgainAt);
        if (failed) outageFailures.set(id, failed);
      }
      expect(outageFailures.size, 'deliveries that failed while the server was down').toBeGreaterThan(0);
      const recoveredLater = [...outageFailures].filter(([id, failed]) =>
        (byEvent.get(id) ?? []).some((r) => r.success && r.seq > failed.seq && r.startedAt >= restartAt),
      );
      expect(recoveredLater).toHaveLength(outageFailures.size);
      const neverOk = events.filter((e) => !(byEvent.get(e.id) ?? []).some((r) => r.success));
      expect(neverOk).toEqual([]);

      const deliveries = s.deliveries();
      // Notifications the server had accepted but never answered: the kill cut them off mid-request.
      const cutOff = deliveries.filter((r) => r.startedAt < killedAt && r.status === null);
      expect(cutOff.length, 'deliveries in flight at the kill').toBeGreaterThan(0);
      timings.cutOffByKill = cutOff.length;
      timings.deliveries = deliveries.length;
      timings.failedDeliveries = deliveries.filter((r) => !r.success).length;
      timings.timedOutDeliveries = deliveries.filter((r) => r.timedOut).length;
      timings.eventsHitByOutage = outageFailures.size;
      timings.firstSuccessAfterRestartMs =
        Math.min(...deliveries.filter((r) => r.success && r.startedAt >= restartAt).map((r) => r.startedAt)) - upAgainAt;
      timings.paidAtKill = paidAtKill;
      timings.stillPayingAtKill = stillPaying ? 1 : 0;
      // Diagnostics for the report (not assertions): how the server answered, and what it logged.
      const statuses: Record<string, number> = {};
      for (const r of deliveries) {
        const key = r.status === null ? (r.timedOut ? 'timeout' : 'no-answer') : String(r.status);
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
      const latencies = deliveries.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs])).sort((a, b) => a - b);
      const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? -1;
      const errors = new Map<string, number>();
      for (const line of srv.lines()) {
        const m = /"level":"(error|fatal)".*?"msg":"([^"]*)"/.exec(line);
        if (m) errors.set(`${m[1]}: ${m[2]}`, (errors.get(`${m[1]}: ${m[2]}`) ?? 0) + 1);
      }
      console.info(
        `[crash-storm] delivery answers ${JSON.stringify(statuses)}; answer latency ms p50 ${pct(0.5)} p90 ${pct(0.9)} p99 ${pct(0.99)} max ${pct(1)}; server errors ${JSON.stringify(Object.fromEntries(errors))}`,
      );
    },
    FILE_TIMEOUT_MS,
  );
});
