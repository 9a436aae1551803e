/**
 * A Jifen server wired to the WeChat simulator (both in this process): the demo group, a terminal
 * of store S001, and helpers to create orders and pay them as a shopper.
 */
import type { PosOrderView } from '@jifen/shared';
import { PersonalDataCipher } from '../lib/crypto.js';
import { seedDemo } from '../seed/demo.js';
import { simEnv } from '../wechat/testing/harness.js';
import type { ClientKeyMode } from '../wechat/testing/harness.js';
import { startWechatSimulator } from '../wechat/testing/simulator.js';
import type { WechatSimulator, WechatSimulatorOptions } from '../wechat/testing/simulator.js';
import type { TestDb } from './db.js';
import { freePort, startTestServer } from './server.js';
import type { TestServer } from './server.js';

export const TEST_DATA_KEY = 'test-data-key-0123456789-0123456789-abcdef';

export interface PaymentRig {
  sim: WechatSimulator;
  s: TestServer;
  admin: string;
  till: string;
  /** A POS order for `lines` (default ￥128.00), optionally for a member phone. */
  order(opts?: {
    method?: 'wechat_native' | 'wechat_code' | 'wechat_jsapi' | 'cash';
    phone?: string;
    amountFen?: number;
    authCode?: string;
    redeemPoints?: number;
    clientOrderId?: string;
  }): Promise<PosOrderView>;
  close(): Promise<void>;
}

let seq = 0;

export async function startPaymentRig(
  options: {
    sim?: WechatSimulatorOptions;
    keyMode?: ClientKeyMode;
    seed?: boolean;
    testDb?: TestDb;
    jobs?: boolean;
    sharedSim?: WechatSimulator;
  } = {},
): Promise<PaymentRig> {
  const sim =
    options.sharedSim ??
    (await startWechatSimulator({
      port: 0,
      timeFactor: 0.001,
      allowHttpNotifyUrl: true,
      refund: { autoOutcome: 'SUCCESS', delayMs: 20 },
      micropay: { userPayingMs: 150 },
      ...options.sim,
    }));
  const port = await freePort();
  const s = await startTestServer({
    port,
    env: { ...simEnv(sim, options.keyMode ?? 'both', `http://127.0.0.1:${port}`) },
    wechat: { micropayPollMs: 50, micropayMaxWaitMs: 1_500 },
    testDb: options.testDb,
    jobs: options.jobs,
  });
  if (options.seed !== false) await seedDemo(s.testDb.db, new PersonalDataCipher(TEST_DATA_KEY));
  const admin = await s.signIn();
  const terminal = await s.request('POST', '/api/admin/terminals', { storeCode: 'S001' }, admin);
  const till = (terminal.body as { token: string }).token;
  return {
    sim,
    s,
    admin,
    till,
    async order(opts = {}) {
      const amount = opts.amountFen ?? 12800;
      const body = {
        clientOrderId: opts.clientOrderId ?? `t-${process.pid}-${++seq}-${Date.now()}`,
        lines: [{ sku: '6901234567892', name: '鲜榨橙汁礼盒', qty: 1, unitPriceFen: amount }],
        ...(opts.phone ? { member: { phone: opts.phone } } : {}),
        ...(opts.redeemPoints ? { redeemPoints: opts.redeemPoints } : {}),
        payment: { method: opts.method ?? 'wechat_native', ...(opts.authCode ? { authCode: opts.authCode } : {}) },
      };
      const res = await s.request('POST', '/api/pos/orders', body, till);
      if (res.status !== 201) throw new Error(`order failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as PosOrderView;
    },
    async close() {
      await s.close();
      if (!options.sharedSim) await sim.close();
    },
  };
}
