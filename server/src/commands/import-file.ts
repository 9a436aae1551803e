/** `pnpm jifen import members|products <file.csv> …`: the imports from a file, progress on stderr. */
import { createReadStream } from 'node:fs';
import { userInfo } from 'node:os';
import { csvEncoding, decodeText } from './import-csv.js';
import { importMembers } from './import-members.js';
import { describeProductImport, importProducts } from './import-products.js';
import type { ProductImportDeps } from './import-products.js';
import type { ImportDeps } from './import-members.js';

export async function importFile(
  deps: ImportDeps,
  file: string,
  opts: { dryRun: boolean; encoding?: string },
  out: { progress: (line: string) => void; report: (line: string) => void } = {
    progress: (l) => process.stderr.write(l),
    report: (l) => console.log(l),
  },
): Promise<number> {
  const encoding = csvEncoding(opts.encoding);
  let last = 0;
  const report = await importMembers(deps, decodeText(createReadStream(file), encoding), {
    dryRun: opts.dryRun,
    actor: `cli:${userInfo().username}`,
    onProgress: (run) => {
      const t = Date.now();
      if (run.status === 'running' && t - last < 500) return;
      last = t;
      out.progress(`\rimport${opts.dryRun ? ' (dry run)' : ''}: ${run.rows} rows, ${run.bad} bad…`);
    },
  });
  out.progress('\n');
  for (const e of report.errors) out.progress(`line ${e.line}${e.externalId ? ` (${e.externalId})` : ''}: ${e.reason}\n`);
  const verb = opts.dryRun ? 'would create' : 'created';
  out.report(
    `import${opts.dryRun ? ' (dry run)' : ''} ${report.runId}: ${report.rows} rows, ${verb} ${report.created}, linked ${report.linked}, unchanged ${report.unchanged}, ${report.points} opening points, ${report.bad} bad`,
  );
  return report.bad === 0 ? 0 : 1;
}

/** `pnpm jifen import products <file.csv> --brand CODE [--dry-run] [--encoding gb18030]`. */
export async function importProductsFile(
  deps: ProductImportDeps,
  file: string,
  opts: { brandCode: string; dryRun: boolean; encoding?: string },
  out: { progress: (line: string) => void; report: (line: string) => void } = {
    progress: (l) => process.stderr.write(l),
    report: (l) => console.log(l),
  },
): Promise<number> {
  const report = await importProducts(deps, decodeText(createReadStream(file), csvEncoding(opts.encoding)), {
    brandCode: opts.brandCode,
    dryRun: opts.dryRun,
    actor: `cli:${userInfo().username}`,
    onProgress: (rows, bad) => out.progress(`\rimport products: ${rows} rows, ${bad} bad…`),
  });
  out.progress('\n');
  const lines = describeProductImport(report, opts.dryRun, opts.brandCode);
  for (const l of lines.slice(0, -1)) out.progress(`${l}\n`);
  out.report(lines[lines.length - 1]!);
  return report.bad === 0 ? 0 : 1;
}
