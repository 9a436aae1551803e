/**
 * `pnpm jifen bench lookup`: the till's lookups through the real server — a scanned barcode
 * (`GET /api/pos/products/:barcode`), a search by name / pinyin initials (`GET /api/pos/products?q=`),
 * a scanned member code (`POST /api/pos/members/lookup {code}`) and a typed phone (the same route,
 * `{phone}`) — with a catalogue of --products items (default 10,000) and --members members (default
 * 1,000,000: issue #5's sizes), beside two floors measured in the same run at the same concurrency, in
 * interleaved slices: a bare-driver loop running the statements each lookup needs, and a bare
 * `node:http` server answering the same calls with those statements, so what HTTP itself costs on
 * this machine is told apart from what Jifen adds.
 *
 * Member codes (JFM1…) live 60 s, so each slice's codes are minted with the server's own secret just
 * before the slice is sent; both floors verify them the way the server does (HMAC and expiry) before
 * reading the member by id, and sign the till's member reference as the server does.
 *
 * It uses its own database (DATABASE_URL; for MySQL a `<db>_bench_lookup` database is created and
 * dropped; for SQLite a `.bench.lookup.sqlite` file beside the original, removed at the end). Requests
 * are built before timing starts and sent by a worker thread, so the server's event loop only serves.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { sql } from 'kysely';
import type { Insertable } from 'kysely';
import { loadConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { CodeSigner, MEMBER_REF_TTL_MS } from '../lib/codes.js';
import { PersonalDataCipher, sha256Hex } from '../lib/crypto.js';
import { newId, newToken } from '../lib/ids.js';
import { createLogger } from '../logger.js';
import { findProgramByCode } from '../repositories/org.repository.js';
import { seedDemo } from '../seed/demo.js';
import { startServer } from '../server.js';
import type { RunningServer } from '../server.js';
import { combine, line, mysqlDriver, parseIntOptions, runFixed, setupBenchDb, sqliteDriver, startLoadGenerator } from './common.js';
import type { BareDriver, Figures, LoadGenerator, LoadRequest } from './common.js';

/**
 * Issue #5: with 10,000 items and 1 million members, a barcode scan and a member-code lookup at the
 * till ≤ 50 ms at p99 (kiosk/src/shared/pos-api.ts holds the scan's side of the contract).
 */
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
  return {
    ...parseIntOptions(argv, {
      products: { default: 10_000, min: 10 },
      members: { default: 1_000_000, min: 10 },
      requests: { default: 4000, min: 10 },
      concurrency: { default: 16, min: 1 },
    }),
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
  /** The seeded members' ids; member i's phone is phoneOf(i). */
  memberIds: Float64Array;
  cipher: PersonalDataCipher;
  /** Seconds spent seeding the products and the members. */
  seeding: { products: number; members: number };
}

/** Member i's phone: 137 1xxx xxxx, clear of the demo members' numbers. */
function phoneOf(i: number): string {
  return `137${String(10_000_000 + i).slice(-8)}`;
}

/**
 * Runs insert(from, to) over [0, total) in batches of `batch`, `inFlight` batches at a time (each
 * builds its rows synchronously, then awaits the database, so building the next batch overlaps the
 * database's work on this one), with progress on one line. Returns the seconds it took.
 */
async function inBatches(
  label: string,
  total: number,
  batch: number,
  inFlight: number,
  insert: (from: number, to: number) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let next = 0;
  let done = 0;
  let shown = 0;
  const show = () => {
    const rate = done / Math.max(seconds(), 1e-3);
    process.stderr.write(
      `\r${label}: ${done.toLocaleString('en')}/${total.toLocaleString('en')} in ${seconds().toFixed(1)} s (${Math.round(rate).toLocaleString('en')}/s)   `,
    );
  };
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const from = next;
        const to = Math.min(total, from + batch);
        next = to;
        await insert(from, to);
        done += to - from;
        if (performance.now() - shown > 250 || done === total) {
          shown = performance.now();
          show();
        }
      }
    }),
  );
  process.stderr.write('\n');
  return seconds();
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

  // Multi-row inserts. MariaDB takes a few batches at once on the pool's connections (2,500 member
  // rows of ~250 bytes, well inside max_allowed_packet), each statement its own commit. SQLite has one
  // writer and binds at most 32,766 values per statement (13 columns × 2,000 rows), so a batch is
  // 20,000 rows in one transaction with a larger page cache while seeding: random ids touch pages all
  // over the indexes, and a commit per statement would write most of them to the WAL again each time.
  const mysql = db.dialect === 'mysql';
  const batch = mysql ? 2500 : 20_000;
  const inFlight = mysql ? 3 : 1;
  const perStatement = mysql ? batch : 2000;
  type Writer = Pick<Db['kysely'], 'insertInto'>;
  const write = (fn: (w: Writer) => Promise<unknown>): Promise<unknown> => (mysql ? fn(k) : k.transaction().execute(fn));
  const chunks = <T>(rows: T[]): T[][] =>
    Array.from({ length: Math.ceil(rows.length / perStatement) }, (_, c) => rows.slice(c * perStatement, (c + 1) * perStatement));
  const cacheSize = mysql ? null : (await sql<{ cache_size: number }>`pragma cache_size`.execute(k)).rows[0]!.cache_size;
  if (!mysql) await sql`pragma cache_size = -262144`.execute(k);
  const barcodes = Array.from({ length: products }, (_, i) => ean13(`69${String(1_000_000_000 + i).slice(-10)}`));
  const productSeconds = await inBatches('products', products, batch, inFlight, async (from, to) => {
    const rows: Insertable<Database['product']>[] = [];
    for (let i = from; i < to; i++) {
      const [kind, ki] = KINDS[i % KINDS.length]!;
      const [good, gi] = GOODS[Math.floor(i / KINDS.length) % GOODS.length]!;
      rows.push({
        id: newId(),
        brand_id: store.brandId,
        sku: `B${String(i).padStart(6, '0')}`,
        barcode: barcodes[i]!,
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
    }
    await write(async (w) => {
      for (const chunk of chunks(rows)) await w.insertInto('product').values(chunk).execute();
    });
  });

  const memberIds = new Float64Array(members);
  const memberSeconds = await inBatches('members', members, batch, inFlight, async (from, to) => {
    const memberRows: Insertable<Database['member']>[] = [];
    const accountRows: Insertable<Database['account']>[] = [];
    for (let i = from; i < to; i++) {
      const phone = phoneOf(i);
      const id = newId();
      memberIds[i] = id;
      memberRows.push({
        id,
        openid: null,
        unionid: null,
        phone_enc: cipher.encrypt(phone),
        phone_hash: cipher.lookupHash(phone),
        name: '测试会员',
        birthday: null,
        consent_version: null,
        // Unique by construction (random 8-character codes would collide among a million members).
        referral_code: `BN${i.toString(36).toUpperCase().padStart(8, '0')}`,
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
    }
    await write(async (w) => {
      const accountChunks = chunks(accountRows);
      for (const [c, m] of chunks(memberRows).entries())
        await Promise.all([w.insertInto('member').values(m).execute(), w.insertInto('account').values(accountChunks[c]!).execute()]);
    });
  });
  if (cacheSize !== null) await sql.raw(`pragma cache_size = ${Number(cacheSize)}`).execute(k);
  return {
    terminalId,
    brandId: store.brandId,
    storeId: store.storeId,
    programId,
    token,
    tokenHash,
    barcodes,
    memberIds,
    cipher,
    seeding: { products: productSeconds, members: memberSeconds },
  };
}

/** A till's call with its bearer token, built before timing starts. */
function tillRequest(token: string, method: 'GET' | 'POST', path: string, body?: string): LoadRequest {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return { method, path, headers, body };
}

/** The statements behind each lookup, on the bare driver: the terminal check, then the lookup's own reads. */
function floorLoops(driver: BareDriver, world: World, codes: CodeSigner) {
  const q = (sql: string) => (driver.dialect === 'mysql' ? sql : sql.replace(/`/g, '"'));
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
  const memberById = q('select * from `member` where `id` = ?');
  const accountWithGrowth = q(
    'select `a`.*, (select sum(`e`.`growth_delta`) from `ledger_entry` as `e` where `e`.`account_id` = `a`.`id` and `e`.`created_at` >= ?) as `window_growth` ' +
      'from `account` as `a` where `a`.`member_id` = ? and `a`.`program_id` = ?',
  );
  type Conn = Awaited<ReturnType<BareDriver['connect']>>;
  /**
   * One lookup on one connection. The server remembers a till's token check for TERMINAL_CACHE_MS
   * (and the rule set it shows tier progress with, likewise), so per lookup the floor reads neither:
   * what is left is the lookup's own reads.
   */
  const withTerminal = async <T>(token: string, run: (conn: Conn) => Promise<T>): Promise<T> => {
    if (token !== world.token) throw new Error('terminal not found');
    const conn = await driver.connect();
    try {
      return await run(conn);
    } finally {
      conn.done();
    }
  };
  /** The member found (by phone or by code) as the till is shown them: account and growth in one read, masked phone, reference. */
  const memberView = async (conn: Conn, m: Record<string, unknown> | undefined) => {
    if (!m || m.status !== 'active') throw new Error('no member');
    const now = Date.now();
    const plain = world.cipher.decrypt(String(m.phone_enc));
    const [a] = await conn.query(accountWithGrowth, [now - 365 * 86_400_000, m.id, world.programId]);
    return {
      memberId: m.id,
      maskedPhone: `${plain.slice(0, 3)}****${plain.slice(-4)}`,
      available: a?.available,
      growth: a?.window_growth,
      ref: codes.memberRef(Number(m.id), world.terminalId, now + MEMBER_REF_TTL_MS),
    };
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
    /** A scanned member code: its HMAC and expiry checked as the server checks them, then the member by id. */
    memberByCode: (token: string, code: string) =>
      withTerminal(token, async (conn) => {
        const id = codes.verifyMemberCode(code, Date.now());
        const [m] = await conn.query(memberById, [id]);
        return memberView(conn, m);
      }),
    /** A typed phone: the till's phone-miss counter read, then the member by the phone's keyed hash. */
    memberByPhone: (token: string, phone: string) =>
      withTerminal(token, async (conn) => {
        await conn.query(misses, [`pos-phone-miss:${world.terminalId.toString(36)}`]);
        const [m] = await conn.query(member, [world.cipher.lookupHash(phone)]);
        return memberView(conn, m);
      }),
  };
  const each =
    <T>(run: (token: string, item: T) => Promise<unknown>) =>
    (items: T[]) =>
    async (i: number) =>
      void (await run(world.token, items[i]!));
  return {
    lookups,
    product: each(lookups.product),
    search: each(lookups.search),
    memberByCode: each(lookups.memberByCode),
    memberByPhone: each(lookups.memberByPhone),
  };
}

type Lookups = ReturnType<typeof floorLoops>['lookups'];

/**
 * The second floor: a bare `node:http` server answering the same calls with the bare driver's
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
        if (req.method === 'POST' && url.pathname === '/api/pos/members/lookup') {
          const query = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { phone: string } | { code: string };
          return 'code' in query ? lookups.memberByCode(token, query.code) : lookups.memberByPhone(token, query.phone);
        }
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

function pick<T>(items: ArrayLike<T>, n: number): T[] {
  return Array.from({ length: n }, () => items[Math.floor(Math.random() * items.length)]!);
}

const int = (n: number) => n.toLocaleString('en');
const loadAverage = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores`;

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
    const secret = randomBytes(24).toString('base64');
    const world = await prepareWorld(bench.db, dataKey, opts.products, opts.members);
    /** The server's own signer: member codes minted with it verify at the till as a phone's would. */
    const codes = new CodeSigner(secret);
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: bench.url,
      JIFEN_SECRET: secret,
      JIFEN_DATA_KEY: dataKey,
      JIFEN_LOG_LEVEL: 'silent',
      JIFEN_JOBS: 'off',
    });
    server = await startServer({ config, logger: createLogger('silent'), db: bench.db });
    load = startLoadGenerator(server.url, opts.concurrency, { okStatus: 200 });
    driver = bench.db.dialect === 'mysql' ? mysqlDriver(bench.url, opts.concurrency) : sqliteDriver(bench.url.slice('sqlite:'.length));
    const floor = floorLoops(driver, world, codes);
    bareHttp = await startBareHttp(floor.lookups);
    bareLoad = startLoadGenerator(bareHttp.url, opts.concurrency, { okStatus: 200 });
    const seeded = world.seeding.products + world.seeding.members;
    console.log(
      `seeded ${int(opts.products)} products in ${world.seeding.products.toFixed(1)} s and ${int(opts.members)} members (with accounts) in ` +
        `${world.seeding.members.toFixed(1)} s (${int(Math.round(opts.members / Math.max(world.seeding.members, 1e-3)))}/s); ${seeded.toFixed(1)} s in all`,
    );
    console.log(
      `Jifen at ${server.url} (${bench.db.dialect}), ${int(opts.products)} products, ${int(opts.members)} members, ${int(opts.requests)} requests per kind, concurrency ${opts.concurrency}; ${loadAverage()}`,
    );

    const terms = [...KINDS.map(([w]) => w), ...GOODS.map(([w]) => w), ...GOODS.map(([, i]) => i)];
    const get = (path: string) => tillRequest(world.token, 'GET', path);
    const lookupBy = (query: { code: string } | { phone: string }) =>
      tillRequest(world.token, 'POST', '/api/pos/members/lookup', JSON.stringify(query));
    /** Fresh member codes (60 s to live), minted as the mini-program would just before a slice is sent. */
    const memberCodes = (n: number) => pick(world.memberIds, n).map((id) => codes.memberCode(id, Date.now()).code);
    const memberIndexes = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * world.memberIds.length));
    const kinds: { label: string; http: (n: number) => LoadRequest[]; floor: (n: number) => (i: number) => Promise<void> }[] = [
      {
        label: 'product by barcode',
        http: (n) => pick(world.barcodes, n).map((b) => get(`/api/pos/products/${b}`)),
        floor: (n) => floor.product(pick(world.barcodes, n)),
      },
      {
        label: 'product search',
        http: (n) => pick(terms, n).map((t) => get(`/api/pos/products?q=${encodeURIComponent(t)}`)),
        floor: (n) => floor.search(pick(terms, n)),
      },
      {
        label: 'member by code',
        http: (n) => memberCodes(n).map((code) => lookupBy({ code })),
        floor: (n) => floor.memberByCode(memberCodes(n)),
      },
      {
        label: 'member by phone',
        http: (n) => memberIndexes(n).map((i) => lookupBy({ phone: phoneOf(i) })),
        floor: (n) => floor.memberByPhone(memberIndexes(n).map(phoneOf)),
      },
    ];
    let worstRatio = Infinity;
    const p99: Record<string, number> = {};
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
      p99[kind.label] = jifen.p99;
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
    const sizes = `${int(opts.products)} items and ${int(opts.members)} members`;
    console.log(`\ntarget ≤ ${TARGET_P99_MS} ms at p99 with ${sizes} (${loadAverage()}):`);
    for (const label of ['product by barcode', 'member by code']) {
      const ms = p99[label]!;
      console.log(`  ${label} p99 ${ms.toFixed(2)} ms: ${ms <= TARGET_P99_MS ? 'met' : 'NOT met'}`);
    }
    console.log(`Jifen at least ${worstRatio.toFixed(2)} of bare HTTP`);
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
