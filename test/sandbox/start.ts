/**
 * `pnpm start`: the sandbox, a new user's first look at Jifen. One command brings up the server on
 * an embedded SQLite file under ./data (or DATABASE_URL), loads the demo group, starts a till (the
 * kiosk in browser mode) and prints every URL and demo credential. Ctrl-C stops all of it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersonalDataCipher, loadConfig, openDatabase, seedDemo, startServer, DEMO_CASHIERS, DEMO_MEMBERS } from '@jifen/server';
import { startVirtualPrinter } from '../sim/printer/index.js';
import { PLACEHOLDER, ensureH5TestBuild } from '../e2e/miniprogram-h5.js';
import { serveStatic } from './h5.js';
import { startSandboxKiosk, type SandboxKiosk } from './kiosk.js';
import { KEY_FILES, startWechatSimulator } from '../sim/wechat/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = join(ROOT, 'data');
const ADMIN = { username: 'admin', password: 'jifen-admin-2026' };

interface SandboxSecrets {
  JIFEN_SECRET: string;
  JIFEN_DATA_KEY: string;
}

/** Secrets are generated once per checkout and kept beside the data they protect. */
function sandboxSecrets(): SandboxSecrets {
  const file = join(DATA, 'sandbox-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SandboxSecrets;
  mkdirSync(DATA, { recursive: true });
  const secrets = { JIFEN_SECRET: randomBytes(32).toString('base64url'), JIFEN_DATA_KEY: randomBytes(32).toString('base64url') };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function port(name: string, fallback: number): number {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new Error(`${name} must be a port number`);
  return v;
}

async function main(): Promise<void> {
  const secrets = sandboxSecrets();
  const serverPort = port('PORT', 3000);
  // WeChat Pay and the mini-program API, simulated on 3100 (retries compressed tenfold for a demo).
  const sim = await startWechatSimulator({
    port: port('WECHAT_SIM_PORT', 3100),
    timeFactor: 0.1,
    allowHttpNotifyUrl: true,
    refund: { autoOutcome: 'SUCCESS', delayMs: 1_000 },
  });
  const printer = await startVirtualPrinter({ port: port('PRINTER_PORT', 9100) });
  const h5Port = port('H5_PORT', 3300);
  // The H5 build for the current sources (rebuilt when they change), served with this sandbox's
  // server and simulator addresses in place of the build's placeholders.
  const h5 = await serveStatic(
    ensureH5TestBuild((l) => console.log(`  ${l}`)),
    h5Port,
    { [PLACEHOLDER.api]: `http://127.0.0.1:${serverPort}`, [PLACEHOLDER.sim]: sim.url.replace(/\/+$/, '') },
  );
  const wx = sim.jifenConfig();
  const publicKey = wx.platformPublicKeys[0];
  const env = {
    ...process.env,
    PORT: String(serverPort),
    WXPAY_MCHID: wx.mchid,
    WXPAY_BASE_URL: sim.url,
    WXPAY_MERCHANT_KEY_FILE: KEY_FILES.merchantPrivateKey,
    WXPAY_MERCHANT_SERIAL: wx.merchantSerialNo,
    WXPAY_APIV3_KEY: wx.apiV3Key,
    WXPAY_APIV2_KEY: wx.apiV2Key,
    WXPAY_PUBLIC_KEY_FILE: KEY_FILES.platformPublicKey,
    WXPAY_PUBLIC_KEY_ID: publicKey?.publicKeyId,
    WXPAY_NOTIFY_BASE: `http://127.0.0.1:${serverPort}`,
    WECHAT_APPID: wx.appid,
    WECHAT_APPSECRET: wx.miniprogram.secret,
    WECHAT_API_BASE: sim.url,
    DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${join(DATA, 'jifen.sqlite')}`,
    JIFEN_SECRET: process.env.JIFEN_SECRET ?? secrets.JIFEN_SECRET,
    JIFEN_DATA_KEY: process.env.JIFEN_DATA_KEY ?? secrets.JIFEN_DATA_KEY,
    JIFEN_BOOTSTRAP_ADMIN: process.env.JIFEN_BOOTSTRAP_ADMIN ?? `${ADMIN.username}:${ADMIN.password}`,
    JIFEN_LOG_LEVEL: process.env.JIFEN_LOG_LEVEL ?? 'warn',
  };
  const config = loadConfig(env);
  const db = openDatabase(config.DATABASE_URL);
  const server = await startServer({ config, db });
  const seeded = await seedDemo(db, new PersonalDataCipher(config.JIFEN_DATA_KEY));
  const demo = await db.kysely
    .selectFrom('member')
    .select(['id', 'name'])
    .where(
      'name',
      'in',
      DEMO_MEMBERS.map((m) => m.name),
    )
    .execute();
  const idOf = (name: string) => demo.find((m) => m.name === name)?.id;
  const [adminUser, adminPass] = (config.JIFEN_BOOTSTRAP_ADMIN ?? ':').split(/:(.*)/s);
  // The till of store S001 in a browser (kiosk/src/host), printing to the virtual printer.
  let kiosk: SandboxKiosk | null = null;
  let kioskNote = '';
  try {
    kiosk = await startSandboxKiosk({
      dataDir: DATA,
      port: port('KIOSK_PORT', 3200),
      serverUrl: server.url,
      printerUri: printer.uri,
      admin: { username: adminUser ?? '', password: adminPass ?? '' },
    });
  } catch (err) {
    kioskNote = `not started: ${err instanceof Error ? err.message : String(err)}`;
  }
  const first = { id: idOf(DEMO_MEMBERS[0].name) };
  const S = server.url;
  const lines = [
    '',
    '  积分 Jifen sandbox is running',
    '',
    `  Server        ${server.url}   (health: ${server.url}/healthz, metrics: ${server.url}/metrics)`,
    `  WeChat Pay    ${sim.url}   (simulator: WeChat Pay v3 + mini-program API; control API under /__control/)`,
    `  Mini-program  http://127.0.0.1:${h5Port}/#/pages/launch/index?simUser=demo   (H5 build; signs in through the simulator, sign up with 13800138000 to be 李小萌)`,
    `  Printer       tcp://127.0.0.1:${printer.port}   (virtual ESC/POS receipt printer: pnpm kiosk:print-test --printer tcp://127.0.0.1:${printer.port})`,
    `  Database      ${db.describe}${seeded.created ? '   (demo data loaded)' : ''}`,
    `  HQ admin      username ${adminUser}   password ${adminPass}`,
    `  Demo group    programs JIFEN (集团通用积分) and SPORT (悦动积分); stores S001 S002 S101 S201`,
    `  Demo members  ${DEMO_MEMBERS.map((m) => `${m.name} ${m.phone} (id ${idOf(m.name) ?? '?'})`).join(' · ')}`,
    `  Till staff    ${DEMO_CASHIERS.map((c) => `${c.username} PIN ${c.pin} (${c.storeCode})`).join(' · ')}   (kiosk sign-in)`,
    `  Kiosk         ${kiosk ? `${kiosk.url}   (the till of S001 in a browser: sign in as cashier, PIN 1234; a USB barcode scanner works as a keyboard)` : kioskNote}`,
    '',
    '  Try it:',
    `    TOKEN=$(curl -s -X POST ${server.url}/api/admin/session -H 'content-type: application/json' \\`,
    `      -d '{"username":"${adminUser}","password":"${adminPass}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
    `    curl -s ${server.url}/api/admin/members/${first?.id ?? '<id>'} -H "authorization: Bearer $TOKEN"`,
    `    curl -s -X POST ${server.url}/api/admin/members/${first?.id ?? '<id>'}/adjustments -H "authorization: Bearer $TOKEN" \\`,
    `      -H 'content-type: application/json' -d '{"points":100,"reason":"客诉补偿","idempotencyKey":"sandbox-demo-0001"}'`,
    `    curl -s "${server.url}/api/admin/reports/liability" -H "authorization: Bearer $TOKEN"     # points liability by program, brand, store`,
    `    curl -s "${server.url}/api/admin/reports/inflation?format=csv" -H "authorization: Bearer $TOKEN"     # issued / spent / expired / reversed, as CSV`,
    '',
    '  Sell something and pay as a shopper:',
    `    TILL=$(curl -s -X POST ${S}/api/admin/terminals -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
    `      -d '{"storeCode":"S001"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
    `    curl -s -X POST ${S}/api/pos/orders -H "authorization: Bearer $TILL" -H 'content-type: application/json' \\`,
    `      -d '{"clientOrderId":"demo-order-0001","lines":[{"sku":"6901234567892","name":"鲜榨橙汁","qty":2,"unitPriceFen":1500}],"member":{"phone":"${DEMO_MEMBERS[1].phone}"},"payment":{"method":"wechat_native"}}'`,
    `    curl -s -X POST ${sim.url}/__control/pay -H 'content-type: application/json' -d '{"outTradeNo":"<outTradeNo from above>","openid":"o-demo-shopper"}'`,
    `    curl -s ${S}/api/pos/orders/<orderId> -H "authorization: Bearer $TILL"     # status "paid", pointsEarned`,
    '',
    '  Ctrl-C stops everything.',
    '',
  ];
  console.log(lines.join('\n'));
  const stop = async () => {
    await kiosk?.close();
    await server.close();
    await db.close();
    await sim.close();
    await printer.close();
    h5.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
