/**
 * `pnpm jifen <command>`: the server's command line. Long-running commands print progress to
 * stderr and end with a one-line summary on stdout.
 */
import { parseArgs } from 'node:util';
import { chinaInstant } from '@jifen/shared';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import type { Db } from './db/connect.js';
import { inTransaction } from './db/dialect.js';
import { migrateToLatest } from './db/migrate.js';
import { verifyAccount } from './commands/ledger.js';
import { expireDuePoints, grantBirthdayGifts, releaseDuePoints, reviewTiers } from './jobs/points-jobs.js';
import { PersonalDataCipher } from './lib/crypto.js';
import { seedDemo } from './seed/demo.js';
import type { PaymentDeps } from './commands/orders.js';
import { createServices } from './http/services.js';
import { reconcileDay, syncPendingPayments } from './jobs/payment-jobs.js';
import { createLogger } from './logger.js';
import { createWechatRuntime } from './wechat/runtime.js';
import { startServer } from './server.js';

const USAGE = `usage: pnpm jifen <command> [options]

  migrate                          apply database migrations
  serve                            run the HTTP server and background jobs
  seed --demo                      load the demo group, rules and members (idempotent)
  expire [--as-of YYYY-MM-DD]      expire points due by the start of that China day (default: now)
  release-pending [--as-of …]      release pending points whose return window has passed
  review-tiers [--as-of …]         run the monthly tier review now
  birthday-gifts [--as-of …]       grant birthday gifts for that day
  sync-payments [--older-than S]   ask WeChat Pay about every WeChat order pending longer than S seconds (default 60)
  reconcile --date YYYY-MM-DD      match WeChat Pay's trade bill for that day against the orders
  verify-ledger                    recompute every account from its entries and lots
  import members <file.csv> [--dry-run]
                                   legacy members and opening balances (phone, name, birthday, program,
                                   openingBalance, externalId); --encoding gb18030 for GBK files
  import products <file.csv> --brand CODE [--dry-run]
                                   a brand's catalogue (sku, name, price in yuan; barcode, initials,
                                   category, unit, quickKey, active); all rows or none
  retention [--as-of …] [--months N]  erase personal data of members inactive N months (JIFEN_RETENTION_MONTHS, 36)
  report-rollup [--as-of …]        summarise closed days for the reports now (the job does it every 15 minutes)
  bench ledger|settle|reports|lookup …  beside a bare-driver floor (pnpm jifen bench for options)

DATABASE_URL selects the database (default sqlite:./data/jifen.sqlite).`;

function databaseUrl(): string {
  return process.env.DATABASE_URL ?? 'sqlite:./data/jifen.sqlite';
}

function parseAsOf(value: string | undefined): number {
  if (!value) return Date.now();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) throw new ConfigError(`--as-of must be YYYY-MM-DD (got ${value})`);
  return Date.parse(chinaInstant(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0));
}

function progress(label: string) {
  let last = 0;
  return (done: number) => {
    const t = Date.now();
    if (t - last > 500) {
      process.stderr.write(`\r${label}: ${done} processed…`);
      last = t;
    }
  };
}

/** Opens DATABASE_URL, brings the schema up to date, runs `fn`, closes. */
async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = openDatabase(databaseUrl());
  try {
    await migrateToLatest(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Opens the database and the WeChat Pay client from the environment, for the payment commands. */
async function withPayments<T>(fn: (deps: PaymentDeps) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger(config.JIFEN_LOG_LEVEL === 'info' ? 'warn' : config.JIFEN_LOG_LEVEL);
  const wechat = await createWechatRuntime(config, logger);
  if (!wechat.wxpay) throw new ConfigError('WeChat Pay is not configured (WXPAY_MCHID, WXPAY_MERCHANT_KEY_FILE, …)');
  try {
    return await withDb((db) => fn(createServices({ config, db, logger, wxpay: wechat.wxpay, mp: wechat.mp }).paymentDeps()));
  } finally {
    wechat.stop();
  }
}

async function migrateOnly(): Promise<string[]> {
  const db = openDatabase(databaseUrl());
  try {
    return await migrateToLatest(db);
  } finally {
    await db.close();
  }
}

async function verifyLedger(db: Db): Promise<number> {
  let after = 0;
  let checked = 0;
  let bad = 0;
  const tick = progress('verify-ledger');
  for (;;) {
    const page = await db.kysely.selectFrom('account').select('id').where('id', '>', after).orderBy('id').limit(500).execute();
    if (page.length === 0) break;
    for (const { id } of page) {
      const check = await inTransaction(db, (trx) => verifyAccount(trx, id));
      checked += 1;
      if (check.problems.length > 0) {
        bad += 1;
        process.stderr.write(`\naccount ${id}: ${check.problems.join('; ')}\n`);
      }
      after = id;
    }
    tick(checked);
  }
  process.stderr.write('\n');
  console.log(`verify-ledger: ${checked} accounts checked, ${bad} with problems`);
  return bad;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: false,
    options: {
      'as-of': { type: 'string' },
      demo: { type: 'boolean' },
      help: { type: 'boolean' },
      'older-than': { type: 'string' },
      date: { type: 'string' },
      'dry-run': { type: 'boolean' },
      encoding: { type: 'string' },
      months: { type: 'string' },
      brand: { type: 'string' },
    },
  });
  const asOfText = typeof values['as-of'] === 'string' ? values['as-of'] : undefined;
  switch (command) {
    case 'migrate': {
      const applied = await migrateOnly();
      console.log(applied.length ? `migrated: ${applied.join(', ')}` : 'migrate: already up to date');
      return 0;
    }
    case 'serve': {
      const server = await startServer();
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return new Promise(() => undefined);
    }
    case 'seed': {
      if (!values.demo) throw new ConfigError('seed needs --demo (the only data set there is)');
      const config = loadConfig();
      const summary = await withDb((db) =>
        seedDemo(db, new PersonalDataCipher(config.JIFEN_DATA_KEY), Date.now(), (l) => process.stderr.write(`${l}\n`)),
      );
      console.log(
        `seed: ${summary.created ? `created ${summary.programs} programs, ${summary.brands} brands, ${summary.stores} stores, ${summary.members} members` : 'demo data already present'}`,
      );
      return 0;
    }
    case 'expire': {
      const asOf = parseAsOf(asOfText);
      const s = await withDb((db) => expireDuePoints(db, asOf, progress('expire')));
      process.stderr.write('\n');
      console.log(`expire: ${s.items} lots expired, ${s.points} points, as of ${new Date(asOf).toISOString()}`);
      return 0;
    }
    case 'release-pending': {
      const asOf = parseAsOf(asOfText);
      const s = await withDb((db) => releaseDuePoints(db, asOf, progress('release-pending')));
      process.stderr.write('\n');
      console.log(`release-pending: ${s.items} lots released, ${s.points} points`);
      return 0;
    }
    case 'review-tiers': {
      const asOf = parseAsOf(asOfText);
      const counts = await withDb((db) => reviewTiers(db, asOf, progress('review-tiers')));
      process.stderr.write('\n');
      console.log(
        `review-tiers: ${Object.entries(counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      return 0;
    }
    case 'birthday-gifts': {
      const asOf = parseAsOf(asOfText);
      const s = await withDb((db) => grantBirthdayGifts(db, asOf, progress('birthday-gifts')));
      process.stderr.write('\n');
      console.log(`birthday-gifts: ${s.items} members, ${s.points} points`);
      return 0;
    }
    case 'sync-payments': {
      const olderThan = Number(values['older-than'] ?? 60);
      if (!Number.isInteger(olderThan) || olderThan < 0) throw new ConfigError('--older-than must be a whole number of seconds');
      const s = await withPayments((deps) => syncPendingPayments(deps, olderThan * 1000, progress('sync-payments')));
      process.stderr.write('\n');
      console.log(
        `sync-payments: ${s.checked} checked, ${s.settled} settled, ${s.closed} closed, ${s.stillPending} still pending, ${s.errors} errors`,
      );
      return s.errors === 0 ? 0 : 1;
    }
    case 'reconcile': {
      const date = typeof values.date === 'string' ? values.date : '';
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new ConfigError('reconcile needs --date YYYY-MM-DD');
      const r = await withPayments((deps) => reconcileDay(deps, deps.wxpay!.client, date));
      for (const line of r.settledNow) process.stderr.write(`settled now (paid at WeChat, missing here): ${line}\n`);
      for (const line of r.flagged) process.stderr.write(`flagged: ${line}\n`);
      for (const line of r.amountMismatches) process.stderr.write(`amount differs: ${line}\n`);
      console.log(
        `reconcile ${r.date}: ${r.billRows} bill rows, ${r.matched} matched, ${r.settledNow.length} settled now, ${r.flagged.length} flagged, ${r.amountMismatches.length} amount differences`,
      );
      return r.flagged.length + r.amountMismatches.length === 0 ? 0 : 1;
    }
    case 'import':
    case 'retention':
    case 'report-rollup': {
      const { runReportCommand } = await import('./commands/report-cli.js');
      return runReportCommand(command, positionals, values, { withDb, parseAsOf: () => parseAsOf(asOfText), progress });
    }
    case 'verify-ledger':
      return (await withDb(verifyLedger)) === 0 ? 0 : 1;
    case 'bench': {
      const { runBench } = await import('./bench/index.js');
      return runBench(positionals[0], rest.slice(1));
    }
    default:
      console.log(USAGE);
      return command === undefined || values.help ? 0 : 2;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0 || process.argv[2] !== 'serve') process.exit(code);
    },
    (e: unknown) => {
      console.error(e instanceof ConfigError ? e.message : e);
      process.exit(e instanceof ConfigError ? 2 : 1);
    },
  );
}
