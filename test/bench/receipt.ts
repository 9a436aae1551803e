/**
 * `pnpm kiosk:bench-receipt [--orders N] [--warmup W] [--mysql]` — from the server marking an order paid
 * to the last byte of its receipt at the printer.
 *
 * Runs the server (`pnpm jifen serve`, a child process, on a fresh SQLite file, or with --mysql on a fresh
 * database of JIFEN_TEST_MYSQL_URL, default mysql://root@127.0.0.1:3306/jifen_test), the WeChat simulator
 * and the virtual printer in this process, and the kiosk host (`kiosk/src/host/main.ts`, a child process,
 * exactly as a till runs it) printing to that printer. A cashier signs in; then, one after another, N
 * Native QR orders with no member (so each receipt carries the scan-to-earn QR): the kiosk shows the QR,
 * the shopper pays at the simulator after a random 0.2–1.2 s (so the payment lands anywhere in the
 * kiosk's polling interval), the simulator sends the signed notification, the server settles the order
 * and answers 204.
 *
 * Per order: Jifen = from that 204 (its arrival at the simulator) to the last byte of the order's receipt
 * (the cut) at the printer. The floor, measured in the same run on the same notification: the moment this
 * process learns of the 204, the previous receipt's bytes are written straight to a second virtual
 * printer over an open TCP connection; floor = from the same 204 to that job's last byte. The gap between
 * the two is the kiosk noticing the payment (it polls the order while the QR is shown: the server pushes
 * nothing), fetching the order, laying out the receipt and asking the printer's status.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpBridge, createKioskClient, WATCH_MS } from '@jifen/kiosk';
import type { KioskClient } from '@jifen/kiosk';
import { startVirtualPrinter, type Job, type VirtualPrinter } from '../sim/printer/index.js';
import { startWechatSimulator, type WechatSimulator } from '../sim/wechat/index.js';
import {
  baseEnv,
  createTestDatabase,
  freePort,
  issueTerminal,
  ROOT,
  runJifen,
  serverProcess,
  sleep,
  waitFor,
  wechatEnv,
  type ServerProcess,
  type TestDatabase,
} from '../e2e/support.js';

const TARGET_P99_MS = 300;
const LINES = [
  { sku: '6901234567892', name: '鲜榨橙汁', qty: 2, unitPriceFen: 1500 },
  { sku: 'F-APPLE', name: '红富士苹果 500g', qty: 1, unitPriceFen: 990, category: 'fresh' },
  { sku: 'BAG', name: '环保购物袋', qty: 1, unitPriceFen: 50 },
];

interface Options {
  orders: number;
  warmup: number;
  mysql: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { orders: 50, warmup: 3, mysql: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const n = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive whole number`);
      return v;
    };
    if (a === '--orders') o.orders = n();
    else if (a === '--warmup') o.warmup = n();
    else if (a === '--mysql') o.mysql = true;
    else if (a === '--') continue;
    else throw new Error(`unknown option ${a} (--orders N, --warmup W, --mysql)`);
  }
  return o;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: readonly number[]): { p50: number; p99: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** The kiosk host as a till runs it: `node kiosk/src/host/main.ts …`, a child process. */
function startKioskHost(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=jifen-source', '--import', 'tsx', 'kiosk/src/host/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-4000)));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-4000)));
  child.once('exit', (code) => {
    if (code) console.error(`kiosk host exited ${code}:\n${out}`);
  });
  return child;
}

async function openSocket(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

export async function benchReceipt(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  const cleanup: (() => Promise<unknown>)[] = [];
  let db: TestDatabase | undefined;
  let sim: WechatSimulator | undefined;
  let server: ServerProcess | undefined;
  let host: ChildProcess | undefined;
  try {
    sim = await startWechatSimulator({ port: 0, timeFactor: 0.01, allowHttpNotifyUrl: true, keyMode: 'publicKey' });
    cleanup.push(() => sim!.close());
    const port = await freePort();
    let databaseUrl: string;
    let dialect: string;
    if (options.mysql) {
      db = await createTestDatabase();
      cleanup.push(() => db!.drop());
      databaseUrl = db.url;
      dialect = 'MariaDB/MySQL';
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'jifen-bench-receipt-'));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      databaseUrl = `sqlite:${join(dir, 'jifen.sqlite')}`;
      dialect = 'SQLite';
    }
    const env = { ...baseEnv(databaseUrl), ...wechatEnv(sim, `http://127.0.0.1:${port}`), JIFEN_LOG_LEVEL: 'error' };
    const seeded = await runJifen(['seed', '--demo'], env);
    if (seeded.code !== 0) throw new Error(`seed failed:\n${seeded.stderr}`);
    server = serverProcess('jifen', port, env);
    await server.start();
    cleanup.push(() => server!.stop('SIGTERM'));
    const till = await issueTerminal(server.url);

    const printer: VirtualPrinter = await startVirtualPrinter({ port: 0 });
    cleanup.push(() => printer.close());
    const floorPrinter: VirtualPrinter = await startVirtualPrinter({ port: 0 });
    cleanup.push(() => floorPrinter.close());
    const floorSocket = await openSocket(floorPrinter.port);
    cleanup.push(async () => floorSocket.destroy());

    const dataDir = await mkdtemp(join(tmpdir(), 'jifen-bench-kiosk-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const hostPort = await freePort();
    host = startKioskHost([
      '--server',
      server.url,
      '--token',
      till,
      '--printer',
      printer.uri,
      '--paper',
      '80mm',
      '--port',
      String(hostPort),
      '--data-dir',
      dataDir,
    ]);
    const child = host;
    cleanup.push(async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    });
    const base = `http://127.0.0.1:${hostPort}`;
    await waitFor(
      () =>
        fetch(`${base}/healthz`).then(
          (r) => (r.ok ? true : undefined),
          () => undefined,
        ),
      60_000,
      () => 'the kiosk host to start',
    );
    const kiosk: KioskClient = createKioskClient(createHttpBridge({ base }));
    await kiosk.signIn({ username: 'cashier', pin: '1234', openingFloatFen: 0 });

    const tag = `br${Date.now().toString(36)}`;
    const jifen: number[] = [];
    const floor: number[] = [];
    const toFirstByte: number[] = [];
    const transfer: number[] = [];
    let lastBytes: Buffer | null = null;
    const total = options.warmup + options.orders;
    console.log(
      `paid → receipt: ${options.orders} Native QR orders (+${options.warmup} warm-up), no member (the claim QR on the receipt), ` +
        `${dialect}, the kiosk polls an unpaid order every ${WATCH_MS} ms`,
    );
    for (let i = 0; i < total; i++) {
      const clientOrderId = `${tag}-${String(i).padStart(4, '0')}`;
      const sale = await kiosk.checkout({ clientOrderId, lines: LINES, payment: { method: 'wechat_native' } });
      if (sale.state !== 'awaiting_payment') throw new Error(`order ${clientOrderId} is ${sale.state}`);
      const outTradeNo = sale.order.outTradeNo;
      await sleep(200 + Math.random() * 1_000);
      const receipt = printer.waitForJob((j) => j.text.includes(`单号 ${outTradeNo}`), 15_000);
      sim.pay(outTradeNo, { openid: `o-${tag}` });
      const [delivery] = await sim.waitForDeliveries({ outTradeNo }, 1, 15_000);
      if (!delivery || delivery.status !== 204 || delivery.latencyMs === null)
        throw new Error(`notification for ${outTradeNo}: ${JSON.stringify(delivery)}`);
      // The floor: the previous receipt's bytes, straight to a printer, right after the same notification.
      let floorJob: Promise<Job> | null = null;
      if (lastBytes) {
        const seq = floorPrinter.jobs.length;
        floorJob = floorPrinter.waitForJob((j) => j.id > seq, 5_000);
        floorSocket.write(lastBytes);
      }
      const answeredAt = delivery.startedAt + delivery.latencyMs;
      const job = await receipt;
      lastBytes = job.bytes;
      const f = floorJob ? await floorJob : null;
      if (job.flagged || job.endedBy !== 'cut') throw new Error(`receipt of ${outTradeNo}: ${job.endedBy}, flagged ${job.flagged}`);
      if (i < options.warmup || !f) continue;
      jifen.push(job.lastByteAt.getTime() - answeredAt);
      toFirstByte.push(job.receivedAt.getTime() - answeredAt);
      transfer.push(job.lastByteAt.getTime() - job.receivedAt.getTime());
      floor.push(f.lastByteAt.getTime() - answeredAt);
      floorPrinter.clearJobs();
    }
    const printedOnce = new Set(printer.jobs.map((j) => /单号 (\S+)/.exec(j.text)?.[1])).size === printer.jobs.length;

    const j = summary(jifen);
    const f = summary(floor);
    const a = summary(toFirstByte);
    const t = summary(transfer);
    const ms = (n: number): string => `${n.toFixed(0).padStart(5)} ms`;
    const row = (label: string, s: ReturnType<typeof summary>): string =>
      `  ${label.padEnd(46)} ${ms(s.p50)} ${ms(s.p99)} ${ms(s.max)} ${ms(s.mean)}`;
    console.log(`\n  ${''.padEnd(46)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)} ${'mean'.padStart(8)}`);
    console.log(row('Jifen: notification 204 → receipt cut', j));
    console.log(row('  of which 204 → first byte at the printer', a));
    console.log(row('  of which first → last byte (the transfer)', t));
    console.log(row('floor: same bytes over TCP after the same 204', f));
    console.log(
      `\n  receipt ${lastBytes?.length ?? 0} bytes; every receipt printed once: ${printedOnce ? 'yes' : 'NO'}; ` +
        `target p99 ≤ ${TARGET_P99_MS} ms: ${j.p99 <= TARGET_P99_MS ? 'met' : 'NOT met'}`,
    );
    return j.p99 <= TARGET_P99_MS && printedOnce ? 0 : 1;
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}

if (process.argv[1] && /receipt\.ts$/.test(process.argv[1])) {
  benchReceipt(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
