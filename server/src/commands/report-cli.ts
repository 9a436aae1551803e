/**
 * The command-line side of part B: `import`, `retention` and `report-rollup`. Progress goes to
 * stderr, a one-line summary to stdout (like every other `pnpm jifen` command).
 */
import { ConfigError, loadConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import { PersonalDataCipher } from '../lib/crypto.js';
import { importFile, importProductsFile } from './import-file.js';
import { rollupReports } from './report-rollup.js';
import { eraseInactiveMembers } from './retention.js';

export interface CliHelpers {
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  parseAsOf(): number;
  progress(label: string): (done: number) => void;
}

export async function runReportCommand(
  command: 'import' | 'retention' | 'report-rollup',
  positionals: string[],
  values: Record<string, string | boolean | undefined>,
  cli: CliHelpers,
): Promise<number> {
  switch (command) {
    case 'import': {
      if (positionals[0] === 'products') {
        const file = positionals[1];
        const brand = typeof values.brand === 'string' ? values.brand : undefined;
        if (!file || !brand)
          throw new ConfigError('usage: pnpm jifen import products <file.csv> --brand CODE [--dry-run] [--encoding gb18030]');
        const encoding = typeof values.encoding === 'string' ? values.encoding : undefined;
        return cli.withDb((db) =>
          importProductsFile({ db, now: Date.now }, file, { brandCode: brand, dryRun: values['dry-run'] === true, encoding }),
        );
      }
      // `import members <file.csv>`; the shorter `import <file.csv>` came first and still works.
      const file = positionals[0] === 'members' ? positionals[1] : positionals[0];
      if (!file) throw new ConfigError('usage: pnpm jifen import members <file.csv> [--dry-run] [--encoding gb18030]');
      const config = loadConfig();
      const encoding = typeof values.encoding === 'string' ? values.encoding : undefined;
      return cli.withDb((db) =>
        importFile({ db, cipher: new PersonalDataCipher(config.JIFEN_DATA_KEY), now: Date.now }, file, {
          dryRun: values['dry-run'] === true,
          encoding,
        }),
      );
    }
    case 'retention': {
      const raw = typeof values.months === 'string' ? values.months : (process.env.JIFEN_RETENTION_MONTHS ?? '36');
      const months = Number(raw);
      if (!Number.isInteger(months) || months < 1)
        throw new ConfigError('--months (JIFEN_RETENTION_MONTHS) must be a whole number of months ≥ 1');
      const asOf = cli.parseAsOf();
      const tick = cli.progress('retention');
      const s = await cli.withDb((db) =>
        eraseInactiveMembers({ db, now: Date.now }, { asOf, months, actor: 'cli:retention' }, (checked) => tick(checked)),
      );
      process.stderr.write('\n');
      console.log(
        `retention: ${s.checked} members checked, ${s.erased} erased (inactive since ${new Date(s.cutoff).toISOString()}, ${months} months)`,
      );
      return 0;
    }
    case 'report-rollup': {
      const asOf = cli.parseAsOf();
      const s = await cli.withDb((db) =>
        rollupReports(db, asOf, (days, through) => process.stderr.write(`\rreport-rollup: ${days} days, through day ${through}…`)),
      );
      process.stderr.write('\n');
      console.log(
        s.days === 0
          ? 'report-rollup: nothing to summarise'
          : `report-rollup: ${s.days} days summarised, through ${new Date(s.throughDay! * 86_400_000).toISOString().slice(0, 10)}`,
      );
      return 0;
    }
  }
}
