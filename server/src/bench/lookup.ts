/**
 * `pnpm jifen bench lookup`: the till's lookups through the real server — a scanned barcode
 * (`GET /api/pos/products/:barcode`), a search by name / pinyin initials (`GET /api/pos/products?q=`)
 * and a member by phone (`POST /api/pos/members/lookup`) — with a catalogue of --products items and
 * --members members, beside two floors measured in the same run at the same concurrency, in
 * interleaved slices: a bare-driver loop running the statements each lookup needs (the terminal token
 * check included), and a bare `node:http` server answering the same calls with those statements, so
 * what HTTP itself costs on this machine is told apart from what Jifen adds.
 *
 * It uses its own database (DATABASE_URL; for MySQL a `<db>_bench_lookup` database is created and
 * dropped; for SQLite a `.bench.lookup.sqlite` file beside the original, removed at the end). Requests
 * are built before timing starts and sent by a worker thread, so the server's event loop only serves.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import { PersonalDataCipher, sha256Hex } from '../lib/crypto.js';
import { newId, newReferralCode, newToken } from '../lib/ids.js';
import { createLogger } from '../logger.js';
import { findProgramByCode } from '../repositories/org.repository.js';
import { seedDemo } from '../seed/demo.js';
import { startServer } from '../server.js';
import type { RunningServer } from '../server.js';
import { combine, line, mysqlDriver, runFixed, setupBenchDb, sqliteDriver, summarize } from './common.js';
import type { BareDriver, Figures } from './common.js';

/** The kiosk's contract for a scan: ≤ 50 ms at p99 with 10,000 items (kiosk/src/shared/pos-api.ts). */
const TARGET_P99_MS = 50;
const SLICES = 4;

interface Options {
  products: number;
  members: number;
  requests: number;
  concurrency: number;
  url: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      products: { type: 'string', default: '10000' },
      members: { type: 'string', default: '10000' },
      requests: { type: 'string', default: '4000' },
      concurrency: { type: 'string', default: '16' },
    },
  });
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  return {
    products: int('products', values.products, 10),
    members: int('members', values.members, 10),
    requests: int('requests', values.requests, 10),
    concurrency: int('concurrency', values.concurrency, 1),
    url: process.env.DATABASE_URL ?? 'sqlite:./data/jifen.sqlite',
  };
}

/** Words with their pinyin initials: product names a shop would have, searchable both ways. */
const KINDS: [string, string][] = [
  ['有机', 'yj'],
  ['进口', 'jk'],
  ['精选', 'jx'],
  ['特级', 'tj'],
  ['新鲜', 'xx'],
  ['家庭装', 'jtz'],
];
const GOODS: [string, string][] = [
  ['苹果', 'pg'],
  ['香蕉', 'xj'],
  ['牛奶', 'nn'],
  ['面包', 'mb'],
  ['大米', 'dm'],
  ['鸡蛋', 'jd'],
  ['橙汁', 'cz'],
  ['酸奶', 'sn'],
  ['饼干', 'bg'],
  ['咖啡', 'kf'],
  ['绿茶', 'lc'],
  ['坚果', 'jg'],
];

function ean13(body12: string): string {
  const digits = [...body12].map(Number).reverse();
  const sum = digits.reduce((s, d, i) => s + d * (i % 2 === 0 ? 3 : 1), 0);
  return `${body12}${(10 - (sum % 10)) % 10}`;
}

interface World {
  terminalId: number;
  brandId: number;
  storeId: number;
  programId: number;
  token: string;
  tokenHash: string;
  barcodes: string[];
  phones: string[];
  cipher: PersonalDataCipher;
}

/** The demo group, a till of S001, --products items in 鲜果坊's catalogue and --members members with accounts. */
async function prepareWorld(db: Db, dataKey: string, products: number, members: number): Promise<World> {
  const now = Date.now();
  const cipher = new PersonalDataCipher(dataKey);
  process.stderr.write('seeding the demo data…\n');
  await seedDemo(db, cipher, now);
  const k = db.kysely;
  const store = await k
    .selectFrom('store')
    .innerJoin('brand', 'brand.id', 'store.brand_id')
    .select(['store.id as storeId', 'brand.id as brandId'])
    .where('store.code', '=', 'S001')
    .executeTakeFirstOrThrow();
  const programId = (await findProgramByCode(k, 'JIFEN'))!.id;
  const token = newToken();
  const tokenHash = sha256Hex(token);
  const terminalId = newId();
  await k
    .insertInto('terminal')
    .values({ id: terminalId, store_id: store.storeId, name: 'bench', token_hash: tokenHash, revoked_at: null, created_at: now })
    .execute();

  const batch = db.dialect === 'mysql' ? 1000 : 400;
  const barcodes: string[] = [];
  let rows = [];
  for (let i = 0; i < products; i++) {
    const [kind, ki] = KINDS[i % KINDS.length]!;
    const [good, gi] = GOODS[Math.floor(i / KINDS.length) % GOODS.length]!;
    const barcode = ean13(`69${String(1_000_000_000 + i).slice(-10)}`);
    barcodes.push(barcode);
    rows.push({
      id: newId(),
      brand_id: store.brandId,
      sku: `B${String(i).padStart(6, '0')}`,
      barcode,
      name: `${kind}${good} ${(i % 97) + 1}号`,
      initials: `${ki}${gi}`,
      category: i % 3 === 0 ? 'fresh' : null,
      unit: null,
      price_fen: 100 + (i % 500) * 10,
      quick_key: null,
      active: 1,
      created_at: now,
      updated_at: now,
    });
    if (rows.length === batch || i === products - 1) {
      await k.insertInto('product').values(rows).execute();
      rows = [];
      process.stderr.write(`\rproducts: ${i + 1}/${products}`);
    }
  }
  process.stderr.write('\n');

  const phones: string[] = [];
  let memberRows = [];
  let accountRows = [];
  for (let i = 0; i < members; i++) {
    const phone = `137${String(10_000_000 + i).slice(-8)}`;
    phones.push(phone);
    const id = newId();
    memberRows.push({
      id,
      openid: null,
      unionid: null,
      phone_enc: cipher.encrypt(phone),
      phone_hash: cipher.lookupHash(phone),
      name: '测试会员',
      birthday: null,
      consent_version: null,
      referral_code: newReferralCode() + String(i % 10),
      referred_by: null,
      status: 'active',
      created_at: now,
    });
    accountRows.push({
      id: newId(),
      member_id: id,
      program_id: programId,
      available: i % 5000,
      pending: 0,
      held: 0,
      lifetime_earned: i % 5000,
      growth: i % 5000,
      tier_code: 'bronze',
      tier_since: now,
      tier_warned_at: null,
      entry_seq: 0,
      updated_at: now,
    });
    if (memberRows.length === batch || i === members - 1) {
      await k.insertInto('member').values(memberRows).execute();
      await k.insertInto('account').values(accountRows).execute();
      memberRows = [];
      accountRows = [];
      process.stderr.write(`\rmembers: ${i + 1}/${members}`);
    }
  }
  process.stderr.write('\n');
  return { terminalId, brandId: store.brandId, storeId: store.storeId, programId, token, tokenHash, barcodes, phones, cipher };
}

interface Request {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

/**
 * The load generator, in a worker thread: keep-alive connections, `concurrency` requests in flight,
 * each answer's status and latency. Plain JavaScript (eval'd), so it needs no loader.
 */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { host, port, token, concurrency } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
function send(r) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const headers = { authorization: 'Bearer ' + token, accept: 'application/json' };
    if (r.body) { headers['content-type'] = 'application/json'; headers['content-length'] = Buffer.byteLength(r.body); }
    const req = http.request({ host, port, path: r.path, method: r.method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (e) => resolve({ status: 0, ms: performance.now() - t0, body: e.message }));
    req.end(r.body);
  });
}
parentPort.on('message', async (msg) => {
  if (msg.type === 'close') { agent.destroy(); parentPort.close(); return; }
  const latencies = [];
  let errors = 0;
  let firstError = null;
  const requests = msg.requests;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests.length) {
      const r = requests[next++];
      const a = await send(r);
      if (a.status === 200) latencies.push(a.ms);
      else { errors += 1; if (!firstError) firstError = a.status + ' ' + a.body.slice(0, 300); }
    }
  }));
  parentPort.postMessage({ latencies, errors, firstError, seconds: (performance.now() - started) / 1000 });
});
`;

interface LoadGenerator {
  fire(requests: Request[]): Promise<Figures>;
  close(): Promise<void>;
}

function startLoadGenerator(url: string, token: string, concurrency: number): LoadGenerator {
  const u = new URL(url);
  const worker = new Worker(LOAD_WORKER, { eval: true, workerData: { host: u.hostname, port: Number(u.port), token, concurrency } });
  return {
    fire(requests) {
      return new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        worker.once('error', onError);
        worker.once('message', (r: { latencies: number[]; errors: number; firstError: string | null; seconds: number }) => {
          worker.off('error', onError);
          if (r.firstError) process.stderr.write(`\nfirst non-200 answer: ${r.firstError}\n`);
          resolve(summarize(r.latencies, r.seconds, r.errors, requests.length - r.errors));
        });
        worker.postMessage({ type: 'run', requests });
      });
    },
    async close() {
      worker.postMessage({ type: 'close' });
      await new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    },
  };
}

/** The statements behind each lookup, on the bare driver: the terminal check, then the lookup's own reads. */
function floorLoops(driver: BareDriver, world: World) {
  const q = (sql: string) => (driver.dialect === 'mysql' ? sql : sql.replace(/`/g, '"'));
  const terminal = q('select `id`, `store_id`, `revoked_at` from `terminal` where `token_hash` = ?');
  const product = q(
    'select `p`.`sku`, `p`.`barcode`, `p`.`name`, `p`.`category`, `p`.`unit`, coalesce(`sp`.`price_fen`, `p`.`price_fen`) as `price_fen` ' +
      'from `product` as `p` left join `store_product` as `sp` on `sp`.`product_id` = `p`.`id` and `sp`.`store_id` = ? ' +
      'where `p`.`brand_id` = ? and `p`.`active` = 1 and (`sp`.`available` is null or `sp`.`available` = 1) and `p`.`barcode` in (?) limit 1',
  );
  const search = q(
    'select `p`.`sku`, `p`.`barcode`, `p`.`name`, `p`.`category`, `p`.`unit`, coalesce(`sp`.`price_fen`, `p`.`price_fen`) as `price_fen` ' +
      'from `product` as `p` left join `store_product` as `sp` on `sp`.`product_id` = `p`.`id` and `sp`.`store_id` = ? ' +
      'where `p`.`brand_id` = ? and `p`.`active` = 1 and (`sp`.`available` is null or `sp`.`available` = 1) ' +
      "and (`p`.`name` like ? escape '!' or `p`.`initials` like ? escape '!' or `p`.`sku` like ? escape '!' or `p`.`sku` like ? escape '!' or `p`.`barcode` like ? escape '!') " +
      'order by `p`.`sku` limit 20',
  );
  const misses = q('select `window_start`, `hits` from `rate_limit` where `bucket` = ?');
  const member = q('select * from `member` where `phone_hash` = ?');
  const account = q('select * from `account` where `member_id` = ? and `program_id` = ?');
  const rules = q(
    "select * from `rule_set` where `program_id` = ? and `brand_id` in (?, 0) and `status` = 'published' and `effective_from` <= ? order by `brand_id` desc, `version` desc limit 1",
  );
  const growth = q('select sum(`growth_delta`) as `g` from `ledger_entry` where `account_id` = ? and `created_at` >= ?');
  /** One lookup on one connection: the terminal check, then the lookup's reads; what the answer is built from. */
  const withTerminal = async <T>(token: string, run: (conn: Awaited<ReturnType<BareDriver['connect']>>) => Promise<T>): Promise<T> => {
    const conn = await driver.connect();
    try {
      const [t] = await conn.query(terminal, [sha256Hex(token)]);
      if (!t) throw new Error('terminal not found');
      return await run(conn);
    } finally {
      conn.done();
    }
  };
  const lookups = {
    product: (token: string, barcode: string) =>
      withTerminal(token, async (conn) => {
        const rows = await conn.query(product, [world.storeId, world.brandId, barcode]);
        if (rows.length !== 1) throw new Error(`no product ${barcode}`);
        return rows[0]!;
      }),
    search: (token: string, t: string) =>
      withTerminal(token, (conn) =>
        conn.query(search, [world.storeId, world.brandId, `%${t}%`, `${t.toLowerCase()}%`, `${t}%`, `${t.toUpperCase()}%`, `${t}%`]),
      ),
    member: (token: string, phone: string) =>
      withTerminal(token, async (conn) => {
        await conn.query(misses, [`pos-phone-miss:${world.terminalId.toString(36)}`]);
        const [m] = await conn.query(member, [world.cipher.lookupHash(phone)]);
        if (!m) throw new Error('no member');
        const plain = world.cipher.decrypt(String(m.phone_enc));
        const [a] = await conn.query(account, [m.id, world.programId]);
        const [g] = a ? await conn.query(growth, [a.id, Date.now() - 365 * 86_400_000]) : [];
        if (a) await conn.query(rules, [world.programId, world.brandId, Date.now()]);
        return { memberId: m.id, maskedPhone: `${plain.slice(0, 3)}****${plain.slice(-4)}`, available: a?.available, growth: g?.g };
      }),
  };
  return {
    lookups,
    product: (barcodes: string[]) => async (i: number) => void (await lookups.product(world.token, barcodes[i]!)),
    search: (terms: string[]) => async (i: number) => void (await lookups.search(world.token, terms[i]!)),
    member: (phones: string[]) => async (i: number) => void (await lookups.member(world.token, phones[i]!)),
  };
}

type Lookups = ReturnType<typeof floorLoops>['lookups'];

/**
 * The second floor: a bare `node:http` server answering the same three calls with the bare driver's
 * statements (no framework, no query builder, no validation), so the figures separate what HTTP
 * itself costs on this machine from what Jifen adds to it.
 */
async function startBareHttp(lookups: Lookups): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/, '');
      const url = new URL(req.url ?? '/', 'http://bare');
      const answer = async (): Promise<unknown> => {
        if (req.method === 'POST' && url.pathname === '/api/pos/members/lookup')
          return lookups.member(token, (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { phone: string }).phone);
        if (url.pathname === '/api/pos/products') return { products: await lookups.search(token, url.searchParams.get('q') ?? '') };
        return lookups.product(token, decodeURIComponent(url.pathname.slice('/api/pos/products/'.length)));
      };
      answer().then(
        (body) => {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(body));
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: String(e) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function pick<T>(items: T[], n: number): T[] {
  return Array.from({ length: n }, () => items[Math.floor(Math.random() * items.length)]!);
}

export async function benchLookup(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  const bench = await setupBenchDb(opts.url, '_bench_lookup');
  let server: RunningServer | null = null;
  let load: LoadGenerator | null = null;
  let driver: BareDriver | null = null;
  let bareHttp: { url: string; close: () => Promise<void> } | null = null;
  let bareLoad: LoadGenerator | null = null;
  try {
    const dataKey = randomBytes(24).toString('base64');
    const world = await prepareWorld(bench.db, dataKey, opts.products, opts.members);
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: bench.url,
      JIFEN_SECRET: randomBytes(24).toString('base64'),
      JIFEN_DATA_KEY: dataKey,
      JIFEN_LOG_LEVEL: 'silent',
      JIFEN_JOBS: 'off',
    });
    server = await startServer({ config, logger: createLogger('silent'), db: bench.db });
    load = startLoadGenerator(server.url, world.token, opts.concurrency);
    driver = bench.db.dialect === 'mysql' ? mysqlDriver(bench.url, opts.concurrency) : sqliteDriver(bench.url.slice('sqlite:'.length));
    const floor = floorLoops(driver, world);
    bareHttp = await startBareHttp(floor.lookups);
    bareLoad = startLoadGenerator(bareHttp.url, world.token, opts.concurrency);
    console.log(
      `Jifen at ${server.url} (${bench.db.dialect}), ${opts.products} products, ${opts.members} members, ${opts.requests} requests per kind, concurrency ${opts.concurrency}`,
    );

    const terms = [...KINDS.map(([w]) => w), ...GOODS.map(([w]) => w), ...GOODS.map(([, i]) => i)];
    const kinds: { label: string; http: (n: number) => Request[]; floor: (n: number) => (i: number) => Promise<void> }[] = [
      {
        label: 'product by barcode',
        http: (n) => pick(world.barcodes, n).map((b) => ({ method: 'GET', path: `/api/pos/products/${b}` })),
        floor: (n) => floor.product(pick(world.barcodes, n)),
      },
      {
        label: 'product search',
        http: (n) => pick(terms, n).map((t) => ({ method: 'GET', path: `/api/pos/products?q=${encodeURIComponent(t)}` })),
        floor: (n) => floor.search(pick(terms, n)),
      },
      {
        label: 'member by phone',
        http: (n) =>
          pick(world.phones, n).map((phone) => ({ method: 'POST', path: '/api/pos/members/lookup', body: JSON.stringify({ phone }) })),
        floor: (n) => floor.member(pick(world.phones, n)),
      },
    ];
    let worstRatio = Infinity;
    let productP99 = 0;
    for (const kind of kinds) {
      // Warm both paths (prepared statements, caches, JIT) before measuring.
      const warm = Math.min(200, opts.requests);
      await load.fire(kind.http(warm));
      await bareLoad.fire(kind.http(warm));
      await runFixed(0, warm, opts.concurrency, kind.floor(warm));
      // Interleaved slices, so a burst of load from elsewhere on the machine hits all three alike.
      const runs: { jifen: Figures[]; http: Figures[]; bare: Figures[] } = { jifen: [], http: [], bare: [] };
      const slice = Math.max(1, Math.floor(opts.requests / SLICES));
      for (let s = 0; s < SLICES; s++) {
        runs.jifen.push(await load.fire(kind.http(slice)));
        runs.http.push(await bareLoad.fire(kind.http(slice)));
        runs.bare.push(await runFixed(0, slice, opts.concurrency, kind.floor(slice)));
      }
      const [jifen, http, bare] = [combine(runs.jifen), combine(runs.http), combine(runs.bare)];
      const ratio = jifen.perSecond / http.perSecond;
      worstRatio = Math.min(worstRatio, ratio);
      if (kind.label === 'product by barcode') productP99 = jifen.p99;
      console.log(`\n${kind.label}`);
      console.log(line('  Jifen (HTTP)', jifen, 'req/s'));
      console.log(line('  bare HTTP + driver', http, 'req/s'));
      console.log(line('  bare driver (floor)', bare, 'req/s'));
      console.log(`  Jifen ${ratio.toFixed(2)} of bare HTTP, ${(jifen.perSecond / bare.perSecond).toFixed(3)} of the bare driver`);
      if (jifen.errors > 0 || http.errors > 0 || bare.errors > 0) {
        console.log('  errors: see stderr');
        return 1;
      }
    }
    console.log(
      `\nproduct lookup p99 ${productP99.toFixed(2)} ms (target ≤ ${TARGET_P99_MS} ms with 10,000 items): ${productP99 <= TARGET_P99_MS ? 'met' : 'NOT met'}; Jifen at least ${worstRatio.toFixed(2)} of bare HTTP`,
    );
    return 0;
  } finally {
    await load?.close();
    await bareLoad?.close();
    await bareHttp?.close();
    await server?.close();
    await driver?.close();
    await bench.drop();
  }
}
