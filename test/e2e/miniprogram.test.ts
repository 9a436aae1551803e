/**
 * The shopper's journey through the mini-program in Chromium (issue #4): the H5 build against the real
 * server (`pnpm jifen serve`, a child process, on SQLite — or on MariaDB when JIFEN_TEST_MYSQL_URL is
 * set) and the WeChat simulator. The privacy prompt agreed, signed up (through a friend's referral
 * link), the member code shown; a till sells to that code and the simulator pays it; the points appear
 * in the history and on the card; a receipt code claimed, then refused the second time; a reward
 * redeemed; the account deleted, and the server confirms the personal data is gone.
 *
 * Every page visited is kept as a screenshot in test/artifacts/miniprogram/<dialect>/ (gitignored).
 * The expected points are worked out here by hand from the demo rules (server/src/seed/demo.ts), not by
 * the engine under test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MemberPicture, MemberSummary, PosOrderView } from '@jifen/shared';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWechatSimulator, type WechatSimulator } from '../sim/wechat/index.js';
import { DIALECT, launchPage, screenshots } from './browser.js';
import { ensureH5TestBuild, serveH5, type H5Site } from './miniprogram-h5.js';
import {
  ADMIN,
  api,
  baseEnv,
  createTestDatabase,
  freePort,
  issueTerminal,
  runJifen,
  serverProcess,
  waitFor,
  wechatEnv,
  type ServerProcess,
  type TestDatabase,
} from './support.js';

/** A phone: 390 × 844 CSS pixels at 2× (an iPhone 12-14). */
const VIEWPORT = { width: 390, height: 844 };

/** The demo rules (server/src/seed/demo.ts) this journey meets. */
const RULES = {
  signupBonus: 200,
  refereeBonus: 100,
  firstPurchaseBonus: 100,
  /** 会员日双倍积分: Wednesdays, China time, ×2 (an extra 100% of the base). */
  memberDayWeekday: 'Wed',
  rewardName: '鲜榨橙汁券',
  rewardCost: 300,
};
const REFERRER_PHONE = '13800138000';
const CODE_USED_MESSAGE = '这个积分码已经被领取过了，每个码只能领取一次';

const isMemberDay = (ms: number): boolean =>
  new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', weekday: 'short' }).format(ms) === RULES.memberDayWeekday;

/**
 * Points for a purchase of `fen` by a bronze member with no birthday, as the demo rules give them: 1 point
 * per whole yuan, rounded down once; member day adds the base again; the first purchase adds a flat bonus.
 * The weekday is read on either side of the sale, so a sale placed across midnight accepts both answers.
 */
function expectedPoints(fen: number, placedBetween: [number, number], firstPurchase: boolean): number[] {
  const base = Math.floor(fen / 100);
  const bonus = firstPurchase ? RULES.firstPurchaseBonus : 0;
  return [...new Set(placedBetween.map((t) => base + (isMemberDay(t) ? base : 0) + bonus))];
}

describe(`the mini-program in Chromium (H5 build, real server on ${DIALECT}, WeChat simulator)`, () => {
  let db: TestDatabase | undefined;
  let sqliteDir: string | undefined;
  let sim: WechatSimulator | undefined;
  let server: ServerProcess | undefined;
  let site: H5Site | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let till = '';
  let admin = '';
  const shots = screenshots('miniprogram');
  const pageErrors: string[] = [];
  const tag = `mp${Date.now().toString(36)}`;
  const simUser = `e2e-${tag}`;
  const phone = `136${String(Date.now() % 1e8).padStart(8, '0')}`;
  const nickname = '测试小明';

  // What the journey learns on the way.
  let memberCode = '';
  let memberId = 0;
  let balance = 0;
  let pending = 0;

  const S = (): ServerProcess => server!;

  /**
   * A screenshot of the whole page. Taro's H5 pages scroll inside their own container (`.taro_page`), not the
   * document, so a full-page screenshot would stop at the fold: the viewport is stretched to the page instead.
   */
  async function shot(name: string): Promise<void> {
    const height = await page.evaluate<number>(
      `Math.max(0, ...[...document.querySelectorAll('.taro_page')].filter((p) => getComputedStyle(p).display !== 'none').map((p) => p.scrollHeight))`,
    );
    if (height > VIEWPORT.height) await page.setViewportSize({ width: VIEWPORT.width, height });
    await page.screenshot({ path: shots.next(name), animations: 'disabled' });
    if (height > VIEWPORT.height) await page.setViewportSize(VIEWPORT);
  }

  /** Taro's H5 inputs are custom elements wrapping a real <input>. */
  const input = (id: string) => page.locator(`#${id} input`);
  const el = (id: string) => page.locator(`#${id}`);

  /** Taro's H5 showModal: one shared dialog; wait for the expected title, then confirm. */
  async function confirmModal(title: string): Promise<void> {
    const modal = page.locator('.taro__modal');
    await expectText(modal.locator('.taro-modal__title'), title);
    await shot(`modal-${title}`);
    await modal.locator('.taro-model__confirm').click();
  }

  /** Waits until the (first) element shows `text`: pages render after their requests answer. */
  async function expectText(locator: Locator, text: string): Promise<void> {
    await locator.first().waitFor({ state: 'visible' });
    await waitFor(
      async () => (((await locator.first().textContent()) ?? '').includes(text) ? true : undefined),
      15_000,
      async () => `"${text}" in "${await locator.first().textContent()}"`,
      100,
    );
  }

  async function adminPicture(id: number): Promise<MemberPicture> {
    return api<MemberPicture>('GET', `${S().url}/api/admin/members/${id}/picture`, undefined, admin);
  }

  async function posOrder(body: Record<string, unknown>): Promise<PosOrderView> {
    return api<PosOrderView>('POST', `${S().url}/api/pos/orders`, body, till);
  }

  beforeAll(async () => {
    shots.reset();
    // The build is the slow part the first time (40–90 s here); later runs reuse it while the sources are unchanged.
    const buildDir = ensureH5TestBuild((line) => console.log(line));

    sim = await startWechatSimulator({ port: 0, timeFactor: 0.01, allowHttpNotifyUrl: true, keyMode: 'publicKey' });
    const port = await freePort();
    site = await serveH5(buildDir, { api: `http://127.0.0.1:${port}`, sim: sim.url });

    let databaseUrl: string;
    if (DIALECT === 'mysql') {
      db = await createTestDatabase();
      databaseUrl = db.url;
    } else {
      sqliteDir = await mkdtemp(join(tmpdir(), 'jifen-mp-e2e-'));
      databaseUrl = `sqlite:${join(sqliteDir, 'jifen.sqlite')}`;
    }
    const env = {
      ...baseEnv(databaseUrl),
      ...wechatEnv(sim, `http://127.0.0.1:${port}`),
      JIFEN_CORS_ORIGINS: site.origin,
    };
    const seeded = await runJifen(['seed', '--demo'], env);
    expect(seeded.code, seeded.stderr).toBe(0);
    server = serverProcess('jifen', port, env);
    await server.start();
    till = await issueTerminal(server.url);
    admin = (await api<{ token: string }>('POST', `${server.url}/api/admin/session`, ADMIN)).token;

    ({ page } = await launchPage(
      { viewport: VIEWPORT, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' },
      pageErrors,
      { onBrowser: (b) => (browser = b) },
    ));
  }, 300_000);

  afterEach(async (ctx) => {
    await shots.ifFailed(ctx, browser ? page : undefined);
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await site?.close();
    await server?.stop('SIGTERM').catch(() => undefined);
    await sim?.close();
    await db?.drop();
    if (sqliteDir) await rm(sqliteDir, { recursive: true, force: true });
  }, 60_000);

  it('agrees to the privacy notice and signs up through a friend’s referral link', async () => {
    const [referrer] = (
      await api<{ members: MemberSummary[] }>('GET', `${S().url}/api/admin/members?phone=${REFERRER_PHONE}`, undefined, admin)
    ).members;
    const referralCode = (await adminPicture(referrer!.id)).member.referralCode;

    await page.goto(site!.pageUrl('/pages/launch/index', { simUser, ref: referralCode }));
    await el('privacy-consent').waitFor();
    await expectText(el('privacy-consent'), '隐私');
    await shot('launch-privacy');
    await el('privacy-agree').click();

    await el('signup').waitFor();
    expect(await input('signup-referral').inputValue()).toBe(referralCode);
    await input('signup-sim-phone').fill(phone);
    await input('signup-nickname').fill(nickname);
    await shot('signup');
    await el('signup-submit').click();

    await el('member-card').waitFor();
    await expectText(el('member-greeting'), nickname);
    balance = RULES.signupBonus + RULES.refereeBonus;
    await expectText(el('points-balance'), String(balance));
    await expectText(el('points-pending'), '0');

    // The server has the member, with this WeChat user and the phone the simulator vouched for.
    const found = (await api<{ members: MemberSummary[] }>('GET', `${S().url}/api/admin/members?phone=${phone}`, undefined, admin)).members;
    expect(found).toHaveLength(1);
    memberId = found[0]!.id;
    const picture = await adminPicture(memberId);
    expect(picture.member).toMatchObject({ status: 'active', phone, openid: sim!.openidForCode(simUser) });
    expect(picture.accounts.find((a) => a.programCode === 'JIFEN')).toMatchObject({ balance, pending: 0 });
  });

  it('shows the member code on the card', async () => {
    const qr = el('member-code-qr');
    await qr.waitFor();
    memberCode = (await qr.getAttribute('data-code')) ?? '';
    expect(memberCode).toMatch(/^JFM1\./);
    await el('member-code-barcode').waitFor();
    await shot('home-member-code');
  });

  it('a till sells to that code, the shopper pays at WeChat, and the points show in the history and on the card', async () => {
    const fen = 12_800;
    const before = Date.now();
    const order = await posOrder({
      clientOrderId: `${tag}-member`,
      lines: [{ sku: '6901234567892', name: '鲜榨橙汁礼盒', qty: 1, unitPriceFen: fen }],
      member: { code: memberCode },
      payment: { method: 'wechat_native' },
    });
    const placed: [number, number] = [before, Date.now()];
    expect(order).toMatchObject({ status: 'pending', memberId });
    sim!.pay(order.outTradeNo, { openid: sim!.openidForCode(simUser) });
    const paid = await waitFor(
      async () => {
        const o = await api<PosOrderView>('GET', `${S().url}/api/pos/orders/${order.orderId}`, undefined, till);
        return o.status === 'paid' ? o : undefined;
      },
      20_000,
      () => `order ${order.outTradeNo} to be paid`,
    );
    const earned = paid.pointsEarned;
    expect(expectedPoints(fen, placed, true)).toContain(earned);

    // The card refreshes when it is shown again: the shopper opens the history and comes back.
    await el('nav-history').click();
    const entry = page.locator('[id^="history-entry-"]', { hasText: `消费￥${(fen / 100).toFixed(2)}` });
    await entry.waitFor();
    await expectText(entry, `+${earned}`);
    await expectText(entry, '待生效');
    await expectText(el('history-list'), `+${RULES.signupBonus}`);
    await expectText(el('history-list'), `+${RULES.refereeBonus}`);
    await shot('history-after-purchase');

    await page.goBack();
    await el('member-card').waitFor();
    pending = earned;
    // Purchase points wait out the 7-day return window: pending, not yet spendable.
    await expectText(el('points-pending'), String(pending));
    await expectText(el('points-balance'), String(balance));
    await shot('home-after-purchase');
    // The till purchase is asked about on the member card: the 0–10 question, naming the store.
    await el('nps-about').waitFor();
    await expectText(el('nps-about'), '的购物');
    await el('nps-score-9').click();
    await el('nps-submit').click();
    await expectText(el('nps-thanks'), '感谢您的评价');
    await shot('home-nps-answered');
    // HQ's NPS report counts it: one promoter today.
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const report = await api<{ summary: { responses: number; promoters: number } }>(
      'GET',
      `${S().url}/api/admin/reports/nps?from=${today}&to=${today}`,
      undefined,
      admin,
    );
    expect(report.summary).toMatchObject({ responses: 1, promoters: 1 });
  });

  it('claims a receipt code in the scan page, and the same code is refused the second time', async () => {
    const fen = 3_650;
    const before = Date.now();
    const sale = await posOrder({
      clientOrderId: `${tag}-cash`,
      lines: [{ sku: '6900000000017', name: '苹果', qty: 1, unitPriceFen: fen }],
      payment: { method: 'cash' },
    });
    const placed: [number, number] = [before, Date.now()];
    expect(sale).toMatchObject({ status: 'paid', memberId: null });
    const receiptCode = sale.receiptCode ?? '';
    expect(receiptCode).toMatch(/^JFR1\./);
    const [points] = expectedPoints(fen, placed, false);
    expect(expectedPoints(fen, placed, false)).toHaveLength(1);

    await el('nav-scan').click();
    await el('claim-code-input').waitFor();
    // No camera in a browser: the page offers typing the code instead.
    await el('claim-scan').click();
    await expectText(el('claim-note'), '手动输入');
    await shot('scan');

    await input('claim-code-input').fill(receiptCode);
    await el('claim-submit').click();
    await el('claim-result').waitFor();
    await expectText(el('claim-points'), `+${points} 积分`);
    await expectText(el('claim-message'), `+${points}`);
    await expectText(el('claim-balance'), `当前可用 ${balance} 积分`);
    await shot('scan-claimed');
    pending += points!;

    await input('claim-code-input').fill(receiptCode);
    await el('claim-submit').click();
    const refused = el('claim-error');
    await refused.waitFor();
    expect(await refused.getAttribute('data-code')).toBe('CODE_USED');
    await expectText(refused, CODE_USED_MESSAGE);
    expect(await el('claim-result').count()).toBe(0);
    await shot('scan-refused');

    const picture = await adminPicture(memberId);
    expect(picture.accounts.find((a) => a.programCode === 'JIFEN')).toMatchObject({ balance, pending });

    await el('claim-home').click();
    await el('member-card').waitFor();
    await expectText(el('points-pending'), String(pending));
  });

  it('redeems a reward for a voucher', async () => {
    await el('nav-rewards').click();
    const card = page.locator('[id^="reward-"]', { hasText: RULES.rewardName }).first();
    await card.waitFor();
    await expectText(card, `${RULES.rewardCost} 积分`);
    await shot('rewards');
    await card.locator('[id^="reward-redeem-"]').click();
    await confirmModal('确认兑换');

    const voucher = el('voucher-result');
    await voucher.waitFor();
    await expectText(voucher, '兑换成功');
    await expectText(voucher, RULES.rewardName);
    const voucherCode = (await el('voucher-qr').getAttribute('data-code')) ?? '';
    expect(voucherCode.length).toBeGreaterThan(8);
    balance -= RULES.rewardCost;
    await shot('rewards-voucher');

    await el('voucher-result-list').click();
    // The catalogue stays underneath (hidden), with its own voucher-result: only the page on top counts.
    const mine = page.locator('[id^="voucher-"]:visible', { hasText: RULES.rewardName }).first();
    await mine.waitFor();
    await expectText(mine, '可使用');
    await shot('vouchers');

    const picture = await adminPicture(memberId);
    expect(picture.accounts.find((a) => a.programCode === 'JIFEN')).toMatchObject({ balance, pending });
  });

  it('deletes the account; the server keeps no personal data', async () => {
    // Back through the vouchers and the catalogue to the card, which reloads when shown again.
    await page.goBack();
    await page.goBack();
    await el('member-card').waitFor();
    await expectText(el('points-balance'), String(balance));
    await el('nav-me').click();
    await expectText(el('me-nickname'), nickname);
    await expectText(el('me-phone'), phone.slice(-4));
    await shot('me');

    await el('me-delete').click();
    await confirmModal('确认注销账户？');
    await confirmModal('再次确认');

    // Back to the start, the consent withdrawn on this device too; agreeing again, the same WeChat user
    // is no member any more, so the signup form shows.
    await el('privacy-consent').waitFor();
    await shot('after-delete');
    await el('privacy-agree').click();
    await el('signup').waitFor();
    expect(await input('signup-sim-phone').inputValue()).toBe('');
    await shot('after-delete-signup');

    const found = (await api<{ members: MemberSummary[] }>('GET', `${S().url}/api/admin/members?phone=${phone}`, undefined, admin)).members;
    expect(found).toEqual([]);
    const picture = await adminPicture(memberId);
    expect(picture.member).toMatchObject({ id: memberId, status: 'erased', phone: null, name: null, openid: null });
    // The ledger stays, under the bare id, so the group's accounts still add up.
    expect(picture.accounts.find((a) => a.programCode === 'JIFEN')).toMatchObject({ balance, pending });
    expect(pageErrors).toEqual([]);
  });
});
