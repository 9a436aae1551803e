/**
 * The cashier's till in Chromium (issue #5): the kiosk in browser mode (the device service and its
 * host, with the UI built from the current sources) against the real server (`pnpm jifen serve`, a
 * child process that is killed and restarted, on SQLite — or on MariaDB when JIFEN_TEST_MYSQL_URL is
 * set), the WeChat simulator and the virtual ESC/POS printer. The UI is driven as a cashier drives it:
 * typing at a person's pace, function keys, taps on the touch screen, and a keyboard-wedge scanner (a
 * burst of key events a few milliseconds apart, then Enter).
 *
 * A shift from PIN sign-in to the printed Z-report: a member sale paid partly with points and partly by
 * a WeChat payment code; a Native QR sale watched until the shopper pays; a cash sale with no member
 * whose receipt code the shopper then claims; a partial refund from that scanned receipt; a voucher;
 * paper running out mid-shift; the server killed (cash sales queued, WeChat and points refused) and
 * restarted (the queue settled exactly once). Every receipt is checked as the printer decoded it
 * (GB18030), every sale on the server (orders and the points ledger).
 *
 * Every screen is kept as a screenshot in test/artifacts/kiosk/<dialect>/ (gitignored).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClaimResponse, MemberCodeResponse, MemberSessionResponse, RedeemResponse, RewardsResponse } from '@jifen/shared';
import { buildRenderer, createHttpBridge, createKioskClient, createKioskService, startHostServer } from '@jifen/kiosk';
import type { HostServer, KioskClient, KioskService } from '@jifen/kiosk';
import type { Browser, CDPSession, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startVirtualPrinter, type Job, type VirtualPrinter } from '../sim/printer/index.js';
import { startWechatSimulator, type WechatSimulator } from '../sim/wechat/index.js';
import { DIALECT, launchPage, screenshots } from './browser.js';
import {
  ADMIN,
  api,
  baseEnv,
  createTestDatabase,
  freePort,
  HttpError,
  issueTerminal,
  runJifen,
  serverProcess,
  sleep,
  waitFor,
  wechatEnv,
  type ServerProcess,
  type TestDatabase,
} from './support.js';

/** A 15.6" till touch screen. */
const VIEWPORT = { width: 1366, height: 768 };
/** A person types about one key every 130 ms (a wedge scanner: a few ms). */
const TYPING_DELAY_MS = 130;

/** 鲜果坊's catalogue (the demo seed, server/src/seed/demo-pos.ts). */
const P = {
  oj: { barcode: '6901234567892', sku: '6901234567892', name: '鲜榨橙汁', fen: 1500 },
  apple: { barcode: '6900000001011', sku: 'F-APPLE', name: '红富士苹果 500g', fen: 990 },
  banana: { barcode: '6900000001028', sku: 'F-BANANA', name: '香蕉 500g', fen: 650 },
  water: { barcode: '6900000001059', sku: 'D-WATER', name: '矿泉水 550ml', fen: 200 },
  cut: { sku: 'F-CUT', name: '鲜切果盒', fen: 1800 },
  yogurt: { barcode: '6900000001073', sku: 'D-YOGURT', name: '原味酸奶', fen: 450 },
} as const;
const STORE_NAME = '鲜果坊 南京西路店';
/** 王大力, a demo member (identified by typing the phone). */
const DEMO_PHONE = '13900139000';
const OFFLINE_PHONE = '13700137000';
/** A WeChat payment code (18 digits, 10–15): the simulator's micropay charges unknown codes at once. */
const PAY_CODE = '134567890123456789';

const masked = (phone: string): string => `${phone.slice(0, 3)}****${phone.slice(-4)}`;
const yuan = (fen: number): string => `￥${(fen / 100).toFixed(2)}`;

// ---------------------------------------------------------------------------------------------------------------
// The server's database, read directly (SQLite file or MariaDB), for the checks

interface Sql {
  rows<T>(sql: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

interface SqliteDatabase {
  prepare(sql: string): { all(...values: unknown[]): unknown[] };
  close(): void;
}

function sqliteReader(file: string): Sql {
  const Database = createRequire(new URL('../../server/package.json', import.meta.url))('better-sqlite3') as new (
    path: string,
    options: { readonly: boolean; fileMustExist: boolean },
  ) => SqliteDatabase;
  let db: SqliteDatabase | null = null;
  return {
    // Opened on first use (the server creates the file), read-only beside the server's WAL writer.
    rows: async <T>(sql: string, values: unknown[] = []) => {
      db ??= new Database(file, { readonly: true, fileMustExist: true });
      return db.prepare(sql).all(...values) as T[];
    },
    close: async () => db?.close(),
  };
}

interface OrderRow {
  id: number;
  out_trade_no: string;
  client_order_id: string | null;
  status: string;
  payment_method: string;
  member_id: number | null;
  amount_fen: number;
  points_paid: number;
  payable_fen: number;
  points_earned: number;
  refunded_fen: number;
  placed_at: number;
  device_time: number;
  shift_id: string | null;
}

interface EntryRow {
  kind: string;
  points: number;
  pending_delta: number;
  held_delta: number;
  entry_seq: number;
  order_ref: string | null;
}

describe(`the cashier's till in Chromium (kiosk host, real server on ${DIALECT}, WeChat simulator, virtual printer)`, () => {
  let db: TestDatabase | undefined;
  let sqliteDir: string | undefined;
  let sql: Sql;
  let sim: WechatSimulator | undefined;
  let server: ServerProcess | undefined;
  let printer: VirtualPrinter | undefined;
  let service: KioskService | undefined;
  let host: HostServer | undefined;
  let dataDir = '';
  let uiDir = '';
  let browser: Browser | undefined;
  let page: Page;
  let cdp: CDPSession;
  /** The host's own API, for what a cashier cannot see (held print jobs, the journal). */
  let kiosk: KioskClient;
  let admin = '';
  const shots = screenshots('kiosk');
  const pageErrors: string[] = [];
  const tag = `ku${Date.now().toString(36)}`;

  // The shopper, registered through the member API.
  const shopperPhone = `135${String(Date.now() % 1e8).padStart(8, '0')}`;
  let shopper = { token: '', memberId: 0, accountId: 0 };
  let receiptCode = '';
  let cashOrderNo = '';
  let claimedPoints = 0;

  const S = (): ServerProcess => server!;
  const printed = (): VirtualPrinter => printer!;

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: shots.next(name), animations: 'disabled' });
  }

  const el = (id: string): Locator => page.locator(`[data-testid="${id}"]`);

  async function expectText(locator: Locator, text: string | RegExp): Promise<void> {
    await locator.first().waitFor({ state: 'visible' });
    await waitFor(
      async () => {
        const t = (await locator.first().textContent()) ?? '';
        return (typeof text === 'string' ? t.includes(text) : text.test(t)) ? true : undefined;
      },
      15_000,
      async () => `${String(text)} in "${await locator.first().textContent()}"`,
      50,
    );
  }

  /** The newest error toast says `text`. */
  async function expectToast(text: string): Promise<void> {
    await expectText(page.locator('[data-testid="toasts"] .toast-error').last(), text);
  }

  /**
   * A keyboard-wedge scan: every character's keydown/keyup sent without waiting for the one before (the
   * browser receives them a millisecond or two apart, as from a scanner), then Enter.
   */
  async function scan(code: string): Promise<void> {
    const sends: Promise<unknown>[] = [];
    const key = (k: string, codeName: string, vk: number, text?: string): void => {
      sends.push(
        cdp.send('Input.dispatchKeyEvent', {
          type: 'keyDown',
          key: k,
          code: codeName,
          windowsVirtualKeyCode: vk,
          ...(text ? { text, unmodifiedText: text } : {}),
        }),
      );
      sends.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: k, code: codeName, windowsVirtualKeyCode: vk }));
    };
    for (const ch of code) {
      const upper = ch.toUpperCase();
      if (/\d/.test(ch)) key(ch, `Digit${ch}`, ch.charCodeAt(0), ch);
      else if (/[a-z]/i.test(ch)) key(ch, `Key${upper}`, upper.charCodeAt(0), ch);
      else key(ch, '', ch.charCodeAt(0), ch);
    }
    key('Enter', 'Enter', 13, '\r');
    await Promise.all(sends);
  }

  /** Typing at a person's pace (the wedge detector gives these keys back to the focused input). */
  const type = (text: string): Promise<void> => page.keyboard.type(text, { delay: TYPING_DELAY_MS });
  const press = (key: string): Promise<void> => page.keyboard.press(key);

  async function order(outTradeNo: string): Promise<OrderRow> {
    const [row] = await sql.rows<OrderRow>('SELECT * FROM pay_order WHERE out_trade_no = ?', [outTradeNo]);
    if (!row) throw new Error(`no order ${outTradeNo}`);
    return row;
  }

  async function entries(outTradeNo: string): Promise<EntryRow[]> {
    const rows = await sql.rows<EntryRow>(
      'SELECT kind, points, pending_delta, held_delta, entry_seq, order_ref FROM ledger_entry WHERE order_ref = ? ORDER BY account_id, entry_seq',
      [outTradeNo],
    );
    return rows.map((r) => ({
      ...r,
      points: Number(r.points),
      pending_delta: Number(r.pending_delta),
      held_delta: Number(r.held_delta),
      entry_seq: Number(r.entry_seq),
    }));
  }

  /** The one receipt printed for an order since `after` (a job id); its number is read off the paper. */
  async function receiptAfter(after: number, match: (j: Job) => boolean): Promise<{ job: Job; orderNo: string }> {
    const job = await printed().waitForJob((j) => j.id > after && j.text.includes('单号') && match(j), 15_000);
    const orderNo = /单号 (\S+)/.exec(job.text)?.[1];
    if (!orderNo) throw new Error(`no order number on\n${job.text}`);
    return { job, orderNo };
  }

  const lastJobId = (): number => printed().jobs[printed().jobs.length - 1]?.id ?? 0;
  const jobsFor = (orderNo: string): Job[] => printed().jobs.filter((j) => j.text.includes(`单号 ${orderNo}`));

  async function memberCode(): Promise<string> {
    return (await api<MemberCodeResponse>('GET', `${S().url}/api/member/me/code`, undefined, shopper.token)).code;
  }

  async function account(): Promise<{ available: number; pending: number; held: number }> {
    const [row] = await sql.rows<{ available: number; pending: number; held: number }>(
      'SELECT available, pending, held FROM account WHERE id = ?',
      [shopper.accountId],
    );
    return { available: Number(row?.available), pending: Number(row?.pending), held: Number(row?.held) };
  }

  beforeAll(async () => {
    shots.reset();
    // The UI as the current sources build it (vite, about a second).
    uiDir = await mkdtemp(join(tmpdir(), 'kiosk-ui-'));
    await buildRenderer(uiDir);

    sim = await startWechatSimulator({
      port: 0,
      timeFactor: 0.01,
      allowHttpNotifyUrl: true,
      keyMode: 'publicKey',
      refund: { autoOutcome: 'SUCCESS', delayMs: 50 },
    });
    const port = await freePort();
    let databaseUrl: string;
    if (DIALECT === 'mysql') {
      db = await createTestDatabase();
      databaseUrl = db.url;
      sql = { rows: (q, v) => db!.rows(q, v), close: async () => undefined };
    } else {
      sqliteDir = await mkdtemp(join(tmpdir(), 'jifen-kiosk-e2e-'));
      const file = join(sqliteDir, 'jifen.sqlite');
      databaseUrl = `sqlite:${file}`;
      sql = sqliteReader(file);
    }
    const env = { ...baseEnv(databaseUrl), ...wechatEnv(sim, `http://127.0.0.1:${port}`) };
    const seeded = await runJifen(['seed', '--demo'], env);
    expect(seeded.code, seeded.stderr).toBe(0);
    server = serverProcess('jifen', port, env);
    await server.start();
    const till = await issueTerminal(server.url);
    admin = (await api<{ token: string }>('POST', `${server.url}/api/admin/session`, ADMIN)).token;

    // The shopper signs up in the mini-program (wx.login through the simulator, the phone button's code).
    const user = `kiosk-${tag}`;
    const session = await api<MemberSessionResponse>('POST', `${server.url}/api/member/session`, { code: `${user}.1` });
    sim.phoneCode(`phone-${user}`, shopperPhone);
    await api('POST', `${server.url}/api/member/register`, { phoneCode: `phone-${user}`, consentVersion: '2026-01' }, session.token);
    const me = await api<{ id: number }>('GET', `${server.url}/api/member/me`, undefined, session.token);
    // Points to spend at the till: an HQ adjustment (below the second-approver threshold).
    await api(
      'POST',
      `${server.url}/api/admin/members/${me.id}/adjustments`,
      { points: 3000, reason: '测试积分', idempotencyKey: `${tag}-give` },
      admin,
    );
    const [acct] = await sql.rows<{ id: number }>(
      "SELECT a.id FROM account a JOIN program p ON p.id = a.program_id WHERE a.member_id = ? AND p.code = 'JIFEN'",
      [me.id],
    );
    shopper = { token: session.token, memberId: me.id, accountId: Number(acct?.id) };

    printer = await startVirtualPrinter({ port: 0 });
    dataDir = await mkdtemp(join(tmpdir(), 'kiosk-ui-data-'));
    service = await createKioskService({
      dataDir,
      // Native QR on receipts, so the virtual printer reads the claim code's payload.
      configOverrides: { serverUrl: server.url, terminalToken: till, printerUri: printer.uri, qr: 'native', paper: '80mm' },
      queue: { retryMs: 200, retryMaxMs: 1_000, probeMs: 300 },
      statusTimeoutMs: 500,
      log: () => undefined,
    });
    host = await startHostServer({ table: service.table, rendererDir: uiDir, port: 0 });
    kiosk = createKioskClient(createHttpBridge({ base: host.url.replace(/\/$/, '') }));

    const launched = await launchPage({ viewport: VIEWPORT, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' }, pageErrors, {
      consoleErrors: true,
      onBrowser: (b) => (browser = b),
    });
    page = launched.page;
    cdp = await launched.context.newCDPSession(page);
  }, 300_000);

  afterEach(async (ctx) => {
    await shots.ifFailed(ctx, browser ? page : undefined);
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await host?.close();
    await service?.close();
    await printer?.close();
    await server?.stop('SIGTERM').catch(() => undefined);
    await sim?.close();
    await sql?.close();
    await db?.drop();
    for (const dir of [sqliteDir, dataDir, uiDir]) if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('the till set-up screen, then a cashier signs in with the PIN and an opening float', async () => {
    await page.goto(host!.url);
    await el('screen-signIn').waitFor();
    await expectText(page.locator('h1'), '收银员登录');
    await shot('sign-in');

    await el('open-setup').tap();
    await el('screen-setup').waitFor();
    await el('test-connection').tap();
    await expectText(el('setup-status'), `连接正常：${STORE_NAME}`);
    await shot('setup');
    await el('setup-back').tap();
    await el('screen-signIn').waitFor();

    // A wrong PIN first: refused, the PIN field cleared.
    await el('username').focus();
    await type('cashier');
    await press('Enter');
    await type('9876');
    await press('Enter'); // on to the float (0 as filled in)
    await press('Enter');
    await expectToast('工号或密码错误');
    expect(await el('pin').inputValue()).toBe('');
    await shot('sign-in-wrong-pin');

    await type('1234');
    await press('Enter');
    await page.keyboard.press('Control+A');
    await type('200');
    await press('Enter');
    await el('screen-sale').waitFor();
    await expectText(el('topbar'), STORE_NAME);
    await expectText(el('topbar'), '收银员');
    await expectText(el('printer-pill'), '就绪');
    await expectText(el('lines'), '请扫描商品条码');
    await el('quick-BAG').waitFor();
    await shot('sale-empty');
    const session = await kiosk.currentSession();
    expect(session).toMatchObject({ shift: { openingFloatFen: 20000, resumed: false }, store: { name: STORE_NAME } });
  });

  it('(a) a member sale: products and the member code scanned, part paid with points, the rest by a WeChat payment code', async () => {
    const before = await account();
    expect(before.available).toBeGreaterThanOrEqual(3000);
    await scan(P.oj.barcode);
    await expectText(el(`qty-${P.oj.sku}`), '1');
    await scan(P.oj.barcode);
    await expectText(el(`qty-${P.oj.sku}`), '2');
    await scan(P.apple.barcode);
    await expectText(el(`line-${P.apple.sku}`), P.apple.name);
    const total = 2 * P.oj.fen + P.apple.fen;
    await expectText(el('total'), yuan(total));

    await scan(await memberCode());
    await expectText(el('member-phone'), masked(shopperPhone));
    await expectText(el('member-points'), String(before.available));
    await expectText(el('points-preview'), /^\d+$/);
    // Points may pay half the order at most (100 points = ￥1).
    const maxPoints = Math.min(before.available, Math.floor(total / 2));
    await expectText(page.locator('label.big-check'), `使用 ${maxPoints} 积分抵扣 ${yuan(maxPoints)}`);
    await shot('sale-member');
    await el('use-points').tap();
    await expectText(el('payable'), yuan(total - maxPoints));

    await press('F8');
    await el('code-dialog').waitFor();
    await shot('pay-code-dialog');
    const after = lastJobId();
    await scan(PAY_CODE);
    await el('screen-receipt').waitFor();
    await expectText(el('receipt-payable'), yuan(total - maxPoints));
    await expectText(el('print-status'), '小票已打印');
    await shot('receipt-member-sale');

    const { job, orderNo } = await receiptAfter(after, (j) => j.text.includes(P.oj.name));
    // The printer decoded GB18030 Chinese (no single-byte mojibake), and the receipt says who and what.
    expect(job.warnings).toEqual([]);
    expect(job.flagged).toBe(false);
    expect(job.endedBy).toBe('cut');
    expect(job.text).toContain(STORE_NAME);
    expect(job.text).toContain(P.apple.name);
    expect(job.text).toContain(`积分抵扣 ${maxPoints}积分`);
    expect(job.text).toContain('微信支付');
    expect(job.text).toContain(masked(shopperPhone));
    const row = await order(orderNo);
    expect(row).toMatchObject({ status: 'paid', payment_method: 'wechat_code', member_id: shopper.memberId });
    expect(Number(row.points_paid)).toBe(maxPoints);
    expect(Number(row.payable_fen)).toBe(total - maxPoints);
    const earned = Number(row.points_earned);
    expect(earned).toBeGreaterThan(0);
    expect(/本单积分\s+\+(\d+)/.exec(job.text)?.[1]).toBe(String(earned));
    expect(/积分余额\s+(\d+)/.exec(job.text)?.[1]).toBe(String(before.available - maxPoints));
    expect(jobsFor(orderNo)).toHaveLength(1);

    // On the server: the points held for the order, then confirmed at payment, and the earn posted once.
    const e = await entries(orderNo);
    expect(e.map((x) => x.kind)).toEqual(['hold', 'hold_confirm', 'earn']);
    expect(e[0]).toMatchObject({ points: -maxPoints, held_delta: maxPoints });
    expect(e[1]).toMatchObject({ held_delta: -maxPoints });
    expect(e[2]!.points + e[2]!.pending_delta).toBe(earned);
    expect(await account()).toMatchObject({ available: before.available - maxPoints, pending: before.pending + earned, held: 0 });
  });

  it('(b) a Native QR sale: the QR shown, the payment watched live until the shopper pays at WeChat', async () => {
    await press('Enter'); // 下一位顾客
    await el('screen-sale').waitFor();
    await expectText(el('lines'), '请扫描商品条码');
    await scan(P.banana.barcode);
    await scan(P.water.barcode);
    await expectText(el(`line-${P.water.sku}`), P.water.name);
    await press('F3');
    await type(DEMO_PHONE);
    await press('Enter');
    await expectText(el('member-phone'), masked(DEMO_PHONE));
    await expectText(el('points-preview'), /^\d+$/);

    await press('F6');
    await el('qr-dialog').waitFor();
    const qr = el('qr-dialog').locator('img.qr-image');
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
    await expectText(el('qr-status'), '等待顾客支付');
    const outTradeNo = /单号 (\S+)/.exec((await el('qr-order').textContent()) ?? '')?.[1] ?? '';
    expect((await order(outTradeNo)).status).toBe('pending');
    await shot('qr-waiting');

    const after = lastJobId();
    sim!.pay(outTradeNo, { openid: `o-${tag}-qr` });
    await el('screen-receipt').waitFor();
    await expectText(el('print-status'), '小票已打印');
    await shot('receipt-qr-sale');
    const { job } = await receiptAfter(after, (j) => j.text.includes(outTradeNo));
    expect(job.text).toContain(masked(DEMO_PHONE));
    expect(job.text).toContain('微信支付');
    expect(job.text).toContain(P.banana.name);
    const row = await order(outTradeNo);
    expect(row).toMatchObject({ status: 'paid', payment_method: 'wechat_native' });
    expect(/本单积分\s+\+(\d+)/.exec(job.text)?.[1]).toBe(String(row.points_earned));
    expect((await entries(outTradeNo)).filter((x) => x.kind === 'earn')).toHaveLength(1);
    expect(jobsFor(outTradeNo)).toHaveLength(1);
  });

  it('(c) a cash sale with no member: change, the drawer, and a receipt QR the shopper claims once', async () => {
    await press('Enter');
    await el('screen-sale').waitFor();
    await el(`quick-${P.cut.sku}`).tap();
    await scan(P.oj.barcode);
    const total = P.cut.fen + P.oj.fen;
    await expectText(el('total'), yuan(total));

    await press('F4');
    await el('cash-dialog').waitFor();
    // The amount due is filled in and selected: typing replaces it.
    expect(await el('tendered').inputValue()).toBe((total / 100).toFixed(2));
    await type('50');
    await expectText(el('change'), `找零 ${yuan(5000 - total)}`);
    await shot('cash-dialog');
    const after = lastJobId();
    const kicks = printed().jobs.reduce((n, j) => n + j.drawerKicks.length, 0);
    await press('Enter');
    await el('screen-receipt').waitFor();
    await expectText(el('change-due'), yuan(5000 - total));
    await expectText(el('print-status'), '小票已打印');
    await shot('receipt-cash-sale');

    const { job, orderNo } = await receiptAfter(after, (j) => j.qrPayloads.length > 0);
    cashOrderNo = orderNo;
    receiptCode = job.qrPayloads[0] ?? '';
    expect(receiptCode).toMatch(/^JFR1\./);
    expect(job.text).toContain('扫码领取积分');
    expect(job.text).toMatch(/实收\s+￥50\.00/);
    expect(job.text).toMatch(new RegExp(`找零\\s+￥${((5000 - total) / 100).toFixed(2).replace('.', '\\.')}`));
    await waitFor(
      () => (printed().jobs.reduce((n, j) => n + j.drawerKicks.length, 0) > kicks ? true : undefined),
      5_000,
      () => 'the drawer kick',
    );
    expect(await order(orderNo)).toMatchObject({ status: 'paid', payment_method: 'cash', member_id: null });

    // The shopper scans the receipt in the mini-program: the points are credited once.
    const claim = await api<ClaimResponse>('POST', `${S().url}/api/member/claims`, { code: receiptCode }, shopper.token);
    expect(claim.kind).toBe('receipt');
    expect(claim.pointsEarned).toBeGreaterThan(0);
    claimedPoints = claim.pointsEarned;
    const again = await api('POST', `${S().url}/api/member/claims`, { code: receiptCode }, shopper.token).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(HttpError);
    expect((again as HttpError).body).toMatchObject({ error: { code: 'CODE_USED' } });
    const earns = (await entries(orderNo)).filter((x) => x.kind === 'earn');
    expect(earns).toHaveLength(1);
    expect(earns[0]!.points + earns[0]!.pending_delta).toBe(claimedPoints);
  });

  it('(d) a partial refund from the scanned receipt: one line, cash back from the drawer, points reversed, a refund slip', async () => {
    // The receipt code scanned from the sale screen opens the refund screen with the order.
    await scan(receiptCode);
    await el('screen-refund').waitFor();
    await el(`refund-line-${P.oj.sku}`).waitFor();
    await expectText(el('refund-body'), cashOrderNo);
    await shot('refund-order');
    await el(`refund-plus-${P.oj.sku}`).tap();
    await expectText(el('refund-amount'), yuan(P.oj.fen));
    const after = lastJobId();
    await el('confirm-refund').tap();
    await el('refund-done').waitFor();
    await expectText(el('refund-done'), `请退还顾客现金 ${yuan(P.oj.fen)}`);
    await expectText(el('refund-done'), '冲回积分');
    await shot('refund-done');

    const slip = await printed().waitForJob((j) => j.id > after && j.text.includes('退款单'), 10_000);
    expect(slip.text).toContain(`原单号 ${cashOrderNo}`);
    expect(slip.text).toMatch(new RegExp(`退回现金\\s+￥${(P.oj.fen / 100).toFixed(2).replace('.', '\\.')}`));
    const row = await order(cashOrderNo);
    expect(row).toMatchObject({ status: 'partially_refunded' });
    expect(Number(row.refunded_fen)).toBe(P.oj.fen);
    const reversed = (await entries(cashOrderNo)).filter((x) => x.kind === 'reverse');
    expect(reversed).toHaveLength(1);
    const taken = -(reversed[0]!.points + reversed[0]!.pending_delta);
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThan(claimedPoints);
    expect(slip.text).toMatch(new RegExp(`冲回积分\\s+-${taken}`));
    expect(await el('refund-done').textContent()).toContain(`冲回积分 ${taken}`);
  });

  it('a reward voucher from the mini-program, scanned and redeemed once', async () => {
    const { rewards } = await api<RewardsResponse>('GET', `${S().url}/api/member/rewards`, undefined, shopper.token);
    const reward = rewards.find((r) => r.available && r.name === '鲜榨橙汁券');
    expect(reward).toBeDefined();
    const { voucher } = await api<RedeemResponse>(
      'POST',
      `${S().url}/api/member/rewards/${reward!.id}/redeem`,
      { idempotencyKey: `${tag}-reward` },
      shopper.token,
    );
    await press('F10');
    await el('screen-voucher').waitFor();
    await scan(voucher.code);
    await expectText(el('voucher-result'), `核销成功：${voucher.rewardName}`);
    await shot('voucher-redeemed');
    await scan(voucher.code);
    await expectText(el('voucher-result'), '兑换券已使用');
  });

  it('(e) paper out mid-shift: the cashier sees it, the receipt is held, and prints once when paper is back', async () => {
    await press('Escape');
    await el('screen-sale').waitFor();
    printed().setState('paper_out');
    await scan(P.yogurt.barcode);
    await expectText(el(`line-${P.yogurt.sku}`), P.yogurt.name);
    await press('F4');
    await el('cash-dialog').waitFor();
    await press('Enter'); // the amount due, as filled in
    await el('screen-receipt').waitFor();
    await expectText(el('print-status'), '小票未打印：打印机缺纸');
    await expectText(el('printer-pill'), '缺纸');
    // The drawer still opened for the cash: a real-time pulse (DLE DC4), which the printer runs while out of paper.
    expect(printed().realtimePulses.filter((p) => p.state === 'paper_out')).toHaveLength(1);
    await el('retry-print').waitFor();
    await shot('receipt-paper-out');

    const { heldJobs } = await kiosk.printerStatus();
    expect(heldJobs).toHaveLength(1);
    const jobId = heldJobs[0]!;
    const clientOrderId = jobId.replace(/^sale:/, '');
    const [row] = await sql.rows<OrderRow>('SELECT * FROM pay_order WHERE client_order_id = ?', [clientOrderId]);
    expect(row).toMatchObject({ status: 'paid', payment_method: 'cash' });
    const orderNo = row!.out_trade_no;
    await sleep(500);
    // Nothing reached the printer while it had no paper (a job sent then would be flagged).
    expect(jobsFor(orderNo)).toHaveLength(0);

    printed().setState('ready');
    await el('retry-print').tap();
    await expectText(el('print-status'), '小票已打印');
    await expectText(el('printer-pill'), '就绪');
    await shot('receipt-paper-back');
    await printed().waitForJob((j) => j.text.includes(`单号 ${orderNo}`), 5_000);
    // The same job id once more (a second tap, a restart): nothing held, nothing printed again.
    await expect(kiosk.retryPrint(jobId)).rejects.toMatchObject({ code: 'UNKNOWN_JOB' });
    await sleep(300);
    const jobs = jobsFor(orderNo);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ flagged: false, endedBy: 'cut' });
  });

  it('(f) the server killed mid-shift: cash sales go on and queue, WeChat and points are refused, and the queue settles once', async () => {
    await press('Enter');
    await el('screen-sale').waitFor();
    // A member identified while the server is up, points switched on…
    await scan(P.oj.barcode);
    await scan(await memberCode());
    await expectText(el('member-phone'), masked(shopperPhone));
    await expectText(el('points-preview'), /^\d+$/);
    await el('use-points').tap();
    await expectText(el('payable'), yuan(P.oj.fen / 2));

    // …then the server dies.
    await S().stop('SIGKILL');
    await press('F4');
    await el('cash-dialog').waitFor();
    await press('Enter');
    await expectToast('网络已断开：暂不能使用积分抵扣');
    await expectText(el('offline-banner'), '网络已断开');
    await expectText(el('member-panel'), '离线状态不能使用积分抵扣');
    await expectText(el('payable'), yuan(P.oj.fen));
    await shot('offline-points-refused');

    // Cash for the whole amount: journaled, printed with the device's time, the member's points owed.
    await press('F4');
    await el('cash-dialog').waitFor();
    await press('Enter');
    await el('screen-receipt').waitFor();
    await expectText(el('queued-notice'), '离线销售');
    await expectText(el('screen-receipt'), '设备时间');
    await expectText(el('offline-banner'), '待上传 1 笔');
    await shot('receipt-offline');

    // A payment code offline: refused, take cash instead.
    await press('Enter');
    await el('screen-sale').waitFor();
    await scan(P.apple.barcode);
    await expectText(el(`line-${P.apple.sku}`), P.apple.name);
    await press('F8');
    await el('code-dialog').waitFor();
    await scan(PAY_CODE);
    await expectToast('网络已断开：微信支付暂不可用，请收取现金');
    await shot('offline-wechat-refused');
    await press('F4');
    await el('cash-dialog').waitFor();
    await type('10');
    await press('Enter');
    await el('screen-receipt').waitFor();
    await expectText(el('change-due'), yuan(1000 - P.apple.fen));
    await expectText(el('offline-banner'), '待上传 2 笔');

    // A member by phone while offline: taken unverified, the points settle when the sale reaches the server.
    await press('Enter');
    await el('screen-sale').waitFor();
    // The phone typed at once, while the scanned product is still being looked up (its line redraws the panel).
    await scan(P.banana.barcode);
    await press('F3');
    await type(OFFLINE_PHONE);
    await press('Enter');
    await expectText(el('member-card'), '离线识别');
    await press('F4');
    await el('cash-dialog').waitFor();
    await press('Enter');
    await el('screen-receipt').waitFor();
    await expectText(el('offline-banner'), '待上传 3 笔');
    await shot('offline-queue-3');

    const queued = [...service!.queue.pending()];
    expect(queued).toHaveLength(3);
    for (const q of queued) {
      const [job] = jobsFor(q.clientOrderId);
      expect(job?.text).toContain('设备时间');
      expect(job?.text).toContain('离线开单，时间取自本机');
    }

    // The server comes back: the probe notices, the queue drains in order, the banner goes.
    await S().start();
    await waitFor(
      async () => {
        const s = await kiosk.queueStatus();
        return s.online && s.pending === 0 && !s.draining ? s : undefined;
      },
      30_000,
      async () => JSON.stringify(await kiosk.queueStatus()),
    );
    await el('offline-banner').waitFor({ state: 'hidden' });
    await shot('back-online');

    const ids = queued.map((q) => q.clientOrderId);
    const rows = await sql.rows<OrderRow>(`SELECT * FROM pay_order WHERE client_order_id IN (?, ?, ?)`, ids);
    expect(rows.map((r) => r.client_order_id).sort()).toEqual([...ids].sort());
    for (const q of queued) {
      const r = rows.find((x) => x.client_order_id === q.clientOrderId)!;
      // Placed at the device's time, flagged as such, counted toward the shift that sold it.
      expect(r).toMatchObject({ status: 'paid', payment_method: 'cash', points_paid: 0 });
      expect(Number(r.device_time)).toBe(1);
      expect(Number(r.placed_at)).toBe(Date.parse(q.deviceTime));
      expect(r.shift_id).toBe(q.shiftId);
    }
    const memberSale = rows.find((r) => r.client_order_id === queued[0]!.clientOrderId)!;
    expect(Number(memberSale.member_id)).toBe(shopper.memberId);
    const phoneSale = rows.find((r) => r.client_order_id === queued[2]!.clientOrderId)!;
    expect(phoneSale.member_id).not.toBeNull();
    for (const r of [memberSale, phoneSale]) {
      const earns = (await entries(r.out_trade_no)).filter((x) => x.kind === 'earn');
      expect(earns).toHaveLength(1);
      expect(earns[0]!.points + earns[0]!.pending_delta).toBe(Number(r.points_earned));
    }
    // Sent again (the banner's 立即同步, a restart): the server has each sale once.
    await kiosk.drainQueue();
    const [count] = await sql.rows<{ n: number }>(`SELECT COUNT(*) AS n FROM pay_order WHERE client_order_id IN (?, ?, ?)`, ids);
    expect(Number(count?.n)).toBe(3);
  }, 120_000);

  it('closes the shift: the X-report, the counted cash, the Z-report printed', async () => {
    await press('Enter');
    await el('screen-sale').waitFor();
    await press('F12');
    await el('screen-shift').waitFor();
    await el('shift-figures').waitFor();
    // a cash sale, two QR/code sales, the paper-out sale and three offline sales: 7 sales.
    await expectText(el('sales-count'), '7');
    await shot('shift-report');
    const expected = (await el('cash-expected').textContent()) ?? '';
    const fen = Math.round(Number(expected.replace(/[￥,]/g, '')) * 100);
    expect(fen).toBeGreaterThan(20000);
    const after = lastJobId();
    await el('counted-cash').focus();
    await type((fen / 100).toFixed(2));
    await press('Enter');
    await expectText(page.locator('h1'), '已交班');
    await expectText(el('cash-difference'), yuan(0));
    await shot('shift-closed');
    const z = await printed().waitForJob((j) => j.id > after && j.text.includes('交班报表'), 10_000);
    expect(z.text).toContain(STORE_NAME);
    expect(z.flagged).toBe(false);
    expect(await kiosk.currentSession()).toBeNull();
    await el('after-close').tap();
    await el('screen-signIn').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
