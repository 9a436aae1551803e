import { benchLedger } from './ledger.js';
import { benchLookup } from './lookup.js';
import { benchReports } from './reports.js';
import { benchSettle } from './settle.js';

const BENCHES: Record<string, (argv: string[]) => Promise<number>> = {
  ledger: benchLedger,
  settle: benchSettle,
  reports: benchReports,
  lookup: benchLookup,
};

export async function runBench(name: string | undefined, argv: string[]): Promise<number> {
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    console.log(`usage: pnpm jifen bench <${Object.keys(BENCHES).join('|')}> [options]

  ledger  --members N (1000) --concurrency C (16) --seconds S (5) --preload ENTRIES (0)
          credits and debits per second and p99 through the ledger, beside a bare-driver loop
          running the same statements; with --preload, measured again after that many entries.
  settle  --orders N (2000) --concurrency C (16) | --sweep (16 and 64) --members M (0) --trace-sql
          signed WeChat Pay notifications settled per second and p50/p99 of the answers through the
          real server, beside a bare-driver loop settling as many orders; M extra members beside the demo ones.
  reports --members N (1000000) --entries E (10000000) --repeats R (3) --keep | --reuse
          seeds a year of trading, runs the rollup, times every report (30 and 365 days) through HTTP
          beside the same SQL on the bare driver, and the memory of a full CSV export at two sizes.
  lookup  --products N (10000) --members M (10000) --requests R (4000) --concurrency C (16)
          the till's lookups through HTTP (a barcode scan, a product search, a member by phone) with
          p50/p99, beside a bare node:http server and a bare-driver loop running the same statements;
          the scan's p99 against the kiosk's 50 ms.`);
    return name ? 2 : 0;
  }
  return bench(argv);
}
