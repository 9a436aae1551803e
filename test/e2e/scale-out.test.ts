/**
 * Scale-out: two server processes (`pnpm jifen serve`, JIFEN_JOBS=on) on one MariaDB database, behind a
 * round-robin load balancer that WeChat calls back through (WXPAY_NOTIFY_BASE). Each server reaches
 * WeChat Pay through its own recording tap, so the test can see which process asked WeChat what, and when.
 *
 * (a) 50 concurrent copies of one payment notification, split between the two servers, settle once.
 * (b) Notifications that never arrive are recovered by the 'sync-payments' job, which both servers run:
 *     the job's lease lets exactly one of them do the work, each order is asked about and credited once,
 *     and the runs of one job never overlap (the job_lease row, watched throughout, shows one holder per
 *     fence, and no other holder while the work is being done).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWechatSimulator, type WechatSimulator } from '../sim/wechat/index.js';
import {
  api,
  baseEnv,
  createMemberOrder,
  createTestDatabase,
  freePort,
  issueTerminal,
  mapConcurrent,
  runJifen,
  serverProcess,
  sleep,
  startProxy,
  waitFor,
  wechatEnv,
  type HttpProxy,
  type PosOrder,
  type ProxyRecord,
  type ServerProcess,
  type TestDatabase,
} from './support.js';

/** Orders whose notification is duplicated 50 times, all paid at once. */
const DUPLICATED_ORDERS = 3;
const COPIES = 50;
/** Orders whose notification is lost, left for the recovery job. */
const LOST_ORDERS = 300;
/**
 * The taps hold every order query back this long, so a recovery run lasts longer than the spread of
 * the two servers' first job ticks (1–5 s after start): without the lease, both runs would overlap.
 */
const QUERY_DELAY_MS = 20;
const QUERY_PATH = '/v3/pay/transactions/out-trade-no/';
const NOTIFY_PATH = '/api/wxpay/notify/payment';

interface LeaseRow {
  name: string;
  owner: string;
  fence: number;
  lease_until: number;
}

interface LeaseObservation extends LeaseRow {
  /** When the row had been read (ms, taken after the answer arrived). */
  at: number;
}

/** Reads job_lease every few ms and keeps each change of (owner, fence, lease_until) per job. */
function watchLeases(db: TestDatabase, everyMs = 20) {
  const seen: LeaseObservation[] = [];
  const last = new Map<string, string>();
  let stopped = false;
  let failures = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        const rows = await db.rows<LeaseRow>('SELECT name, owner, fence, lease_until FROM job_lease');
        // Stamped when the answer is back: the row was read no later than this.
        const at = Date.now();
        for (const r of rows) {
          const row = { name: r.name, owner: r.owner, fence: Number(r.fence), lease_until: Number(r.lease_until) };
          const key = `${row.owner}|${row.fence}|${row.lease_until}`;
          if (last.get(row.name) !== key) {
            last.set(row.name, key);
            seen.push({ ...row, at });
          }
        }
      } catch {
        failures += 1;
      }
      await sleep(everyMs);
    }
  })();
  return {
    seen,
    failures: () => failures,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The server process (pid) behind a lease owner: the runner names owners `<pid>-<random>`. */
const ownerPid = (owner: string): number => Number(owner.split('-')[0]);

const outTradeNoOf = (r: ProxyRecord): string => r.path.split('?')[0]!.slice(QUERY_PATH.length);

describe('scale-out: two servers, one database, a load balancer', () => {
  let db: TestDatabase | undefined;
  let sim: WechatSimulator | undefined;
  let lb: HttpProxy | undefined;
  const taps: HttpProxy[] = [];
  const servers: ServerProcess[] = [];
  let leases: ReturnType<typeof watchLeases> | undefined;
  let env: Record<string, string> = {};
  let till = '';
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const t0 = Date.now();
    db = await createTestDatabase();
    sim = await startWechatSimulator({ port: 0, timeFactor: 0.001, allowHttpNotifyUrl: true, keyMode: 'publicKey' });
    const ports = [await freePort(), await freePort()];
    lb = await startProxy(ports.map((p) => `http://127.0.0.1:${p}`));
    const delayQueries = (method: string, path: string): number => (method === 'GET' && path.startsWith(QUERY_PATH) ? QUERY_DELAY_MS : 0);
    for (let i = 0; i < 2; i++) taps.push(await startProxy([sim.url], { delayMs: delayQueries }));
    // Both processes share the database and the secrets; only the way out to WeChat differs.
    env = { ...baseEnv(db.url), JIFEN_JOBS: 'on' };
    const seeded = await runJifen(['seed', '--demo'], { ...env, ...wechatEnv(sim, lb.url) });
    expect(seeded.code, seeded.stderr).toBe(0);
    leases = watchLeases(db);
    for (let i = 0; i < 2; i++) {
      const s = serverProcess(`jifen-${'AB'[i]}`, ports[i]!, { ...env, ...wechatEnv(sim, lb.url, taps[i]!.url) });
      servers.push(s);
      // One after the other: two processes creating the bootstrap admin at once collide (see the report).
      await s.start();
    }
    till = await issueTerminal(lb.url);
    timings.setupMs = Date.now() - t0;
  }, 120_000);

  afterAll(async () => {
    await leases?.stop();
    await Promise.all(servers.map((s) => s.stop('SIGTERM').catch(() => undefined)));
    await lb?.close();
    await Promise.all(taps.map((t) => t.close()));
    await sim?.close();
    await db?.drop();
    console.info(`[scale-out] timings (ms): ${JSON.stringify(timings)}`);
  }, 60_000);

  const earnEntries = async (outTradeNos: string[]) => {
    const d = db!;
    const marks = outTradeNos.map(() => '?').join(',');
    return d.rows<{ id: number; order_ref: string; points: number; pending_delta: number }>(
      `SELECT id, order_ref, points, pending_delta FROM ledger_entry WHERE kind = 'earn' AND order_ref IN (${marks})`,
      outTradeNos,
    );
  };

  const orderRows = async (outTradeNos: string[]) => {
    const d = db!;
    const marks = outTradeNos.map(() => '?').join(',');
    return d.rows<{ out_trade_no: string; status: string; points_earned: number; earn_entry_id: number | null }>(
      `SELECT out_trade_no, status, points_earned, earn_entry_id FROM pay_order WHERE out_trade_no IN (${marks})`,
      outTradeNos,
    );
  };

  /** Every order paid, with exactly one earn entry: the one the order records. */
  const expectSettledOnce = async (outTradeNos: string[]) => {
    const rows = await orderRows(outTradeNos);
    expect(rows).toHaveLength(outTradeNos.length);
    expect(rows.filter((r) => r.status !== 'paid').map((r) => `${r.out_trade_no}:${r.status}`)).toEqual([]);
    const entries = await earnEntries(outTradeNos);
    const perOrder = new Map<string, typeof entries>();
    for (const e of entries) perOrder.set(e.order_ref, [...(perOrder.get(e.order_ref) ?? []), e]);
    const twice = [...perOrder].filter(([, list]) => list.length !== 1).map(([ref, list]) => `${ref}×${list.length}`);
    expect(twice, 'orders credited more than once').toEqual([]);
    expect(entries).toHaveLength(outTradeNos.length);
    const wrong = rows.filter((r) => {
      const e = perOrder.get(r.out_trade_no)?.[0];
      return !e || r.earn_entry_id !== e.id || r.points_earned !== e.points + e.pending_delta;
    });
    expect(wrong.map((r) => r.out_trade_no)).toEqual([]);
  };

  it('(a) 50 concurrent copies of a notification, spread over both servers, settle once', async () => {
    if (!sim || !lb) throw new Error('setup failed');
    const s = sim;
    const tag = `dup${Date.now().toString(36)}`;
    const orders: PosOrder[] = [];
    for (let i = 0; i < DUPLICATED_ORDERS; i++) orders.push(await createMemberOrder(lb.url, till, tag, i));
    const nos = orders.map((o) => o.outTradeNo);
    for (const no of nos) s.setFaults({ duplicates: COPIES }, no);
    const before = lb.counts(NOTIFY_PATH);

    // All copies of all orders at once.
    const paid = nos.map((no, i) => s.pay(no, { openid: `o-dup-shopper-${i}` }));
    await Promise.all(paid.map((p) => p.firstDelivery));
    for (const no of nos) await s.waitForEvent({ outTradeNo: no }, 'delivered', 30_000);

    const after = lb.counts(NOTIFY_PATH);
    const perServer = after.map((n, i) => n - (before[i] ?? 0));
    timings.duplicateCopiesPerServer = perServer[0] ?? 0;
    expect(perServer.reduce((a, b) => a + b, 0)).toBe(DUPLICATED_ORDERS * COPIES);
    expect(perServer[0], 'copies answered by server A').toBeGreaterThan(0);
    expect(perServer[1], 'copies answered by server B').toBeGreaterThan(0);

    for (const no of nos) {
      const copies = s.deliveries({ outTradeNo: no }).filter((r) => r.round === 0);
      expect(copies).toHaveLength(COPIES);
      // 204 for the copy that settles and for every replay: none is refused or left unanswered.
      expect(copies.map((r) => r.status).filter((st) => st !== 204)).toEqual([]);
    }
    await expectSettledOnce(nos);
    for (const o of orders) {
      const view = await api<{ status: string; pointsEarned: number }>('GET', `${lb.url}/api/pos/orders/${o.orderId}`, undefined, till);
      expect(view.status).toBe('paid');
    }
  }, 120_000);

  it('(b) lost notifications are recovered by one server under the job lease, each order once', async () => {
    if (!db || !sim || !lb || !leases) throw new Error('setup failed');
    const d = db;
    const s = sim;
    const lbUrl = lb.url;
    const tag = `lost${Date.now().toString(36)}`;

    // 1. Orders whose notification WeChat never sends; the shopper pays all of them.
    let t = Date.now();
    const orders = await mapConcurrent(LOST_ORDERS, 8, (i) => createMemberOrder(lbUrl, till, tag, i));
    timings.createLostOrdersMs = Date.now() - t;
    const nos = orders.map((o) => o.outTradeNo);
    for (const no of nos) s.setFaults({ lose: true }, no);
    nos.forEach((no, i) => s.pay(no, { openid: `o-lost-shopper-${i % 20}` }));
    expect(s.events().filter((e) => nos.includes(e.outTradeNo) && e.state !== 'lost')).toEqual([]);
    await sleep(500);
    expect(s.deliveries().filter((r) => nos.includes(r.outTradeNo))).toEqual([]);
    const stillPending = await orderRows(nos);
    expect(stillPending.filter((r) => r.status !== 'pending')).toEqual([]);

    // 2. The fleet goes down; the orders age by 10 minutes (the job acts on orders pending > 2 min);
    //    both servers come back at once, so their first job ticks (1–5 s after start) race for the lease.
    await Promise.all(servers.map((srv) => srv.stop('SIGTERM')));
    const aged = await d.exec(
      `UPDATE pay_order SET placed_at = placed_at - 600000, expires_at = expires_at - 600000 WHERE out_trade_no IN (${nos.map(() => '?').join(',')})`,
      nos,
    );
    expect(aged).toBe(LOST_ORDERS);
    const tapMarks = taps.map((tap) => tap.records.length);
    const leaseMark = leases.seen.length;
    t = Date.now();
    await Promise.all(servers.map((srv) => srv.start()));
    const startedAt = Date.now();
    const pids = servers.map((srv) => srv.pid);

    // 3. The job settles every order.
    let paid = 0;
    await waitFor(
      async () => {
        paid = (await orderRows(nos)).filter((r) => r.status === 'paid').length;
        return paid === LOST_ORDERS ? true : undefined;
      },
      90_000,
      () => `all ${LOST_ORDERS} recovered (${paid} are)`,
      250,
    );
    timings.restartToRecoveredMs = Date.now() - t;
    // Both first ticks are over (≤ 5 s after start) and the holder has finished and released the lease.
    await sleep(Math.max(0, startedAt + 6_000 - Date.now()));
    await waitFor(
      async () => {
        const [row] = await d.rows<LeaseRow>(`SELECT name, owner, fence, lease_until FROM job_lease WHERE name = 'sync-payments'`);
        return row && Number(row.lease_until) === 0 ? true : undefined;
      },
      30_000,
      () => 'the sync-payments lease to be released',
      100,
    );

    await expectSettledOnce(nos);

    // 4. Each order was asked about exactly once, by one process: the lease kept the other one out.
    const queries = taps.map((tap, i) =>
      tap.records.slice(tapMarks[i]).filter((r) => r.method === 'GET' && r.path.startsWith(QUERY_PATH) && nos.includes(outTradeNoOf(r))),
    );
    const asked = new Map<string, number>();
    for (const q of queries.flat()) asked.set(outTradeNoOf(q), (asked.get(outTradeNoOf(q)) ?? 0) + 1);
    const askedTwice = [...asked].filter(([, n]) => n > 1);
    timings.queriesByServerA = queries[0]!.length;
    timings.queriesByServerB = queries[1]!.length;
    expect(askedTwice.length, 'orders asked about by both runs').toBe(0);
    expect(asked.size).toBe(LOST_ORDERS);

    // The two processes' query windows do not overlap.
    const windows = queries
      .map((list, i) => ({
        server: i,
        from: Math.min(...list.map((q) => q.startedAt)),
        to: Math.max(...list.map((q) => q.endedAt ?? Date.now())),
      }))
      .filter((w, i) => queries[i]!.length > 0);
    expect(windows.length).toBeGreaterThan(0);
    if (windows.length === 2) expect(windows[0]!.to < windows[1]!.from || windows[1]!.to < windows[0]!.from).toBe(true);

    // 5. The lease row agrees: the process that did the work held sync-payments under one fence for the
    //    whole of its run, and nobody else took the lease meanwhile.
    const worker = windows[0]!;
    const workerPid = pids[worker.server];
    const syncSeen = leases.seen.slice(leaseMark).filter((o) => o.name === 'sync-payments');
    const during = syncSeen.filter((o) => o.at >= worker.from && o.at <= worker.to);
    const heldBefore = [...syncSeen].reverse().find((o) => o.at < worker.from);
    const states = [...(heldBefore ? [heldBefore] : []), ...during];
    expect(states.length, 'lease observations during the run').toBeGreaterThan(0);
    expect(new Set(states.map((o) => `${o.owner}#${o.fence}`)).size, 'holders during the run').toBe(1);
    expect(ownerPid(states[0]!.owner)).toBe(workerPid);
    expect(states.every((o) => o.lease_until > worker.to)).toBe(true);

    // 6. Over the whole test: both processes of both generations took leases, each fence belongs to one
    //    holder, and fences only ever grow.
    const all = leases.seen;
    expect(leases.failures()).toBe(0);
    const ownersOfFence = new Map<string, Set<string>>();
    for (const o of all) {
      const key = `${o.name}#${o.fence}`;
      ownersOfFence.set(key, (ownersOfFence.get(key) ?? new Set()).add(o.owner));
    }
    expect([...ownersOfFence].filter(([, owners]) => owners.size > 1).map(([k]) => k)).toEqual([]);
    for (const name of new Set(all.map((o) => o.name))) {
      const fences = all.filter((o) => o.name === name).map((o) => o.fence);
      expect(
        fences.every((f, i) => i === 0 || f >= fences[i - 1]!),
        `${name} fences ${fences.join(',')}`,
      ).toBe(true);
    }
    const leasePids = new Set(all.map((o) => ownerPid(o.owner)));
    for (const srv of servers) for (const pid of srv.pids) expect(leasePids, `leases taken by ${srv.label} (pid ${pid})`).toContain(pid);
    const jobsHeldByBoth = [...new Set(all.map((o) => o.name))].filter((name) => {
      const holders = new Set(all.filter((o) => o.name === name && o.owner !== '').map((o) => ownerPid(o.owner)));
      return servers.every((srv) => srv.pids.some((p) => holders.has(p)));
    });
    expect(jobsHeldByBoth.length, 'jobs whose lease both servers held at different times').toBeGreaterThan(0);
    timings.leaseChangesSeen = all.length;

    // 7. The books balance, and no job failed on either server.
    const verify = await runJifen(['verify-ledger'], { ...env, ...wechatEnv(s, lbUrl) }, 60_000);
    expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
    const jobFailures = servers.flatMap((srv) => srv.lines().filter((l) => l.includes('"job failed"') || l.includes('"job tick failed"')));
    expect(jobFailures).toEqual([]);
  }, 180_000);
});
