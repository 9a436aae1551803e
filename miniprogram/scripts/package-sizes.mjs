#!/usr/bin/env node
/* global process, console, URL */
/**
 * Sizes of the built weapp packages against WeChat's limits: the main package (everything outside the
 * subpackage roots) ≤ 600 KB by this project's own rule (WeChat allows 2 MB), each subpackage ≤ 2 MB, all
 * together ≤ 30 MB. Counts every file WeChat would upload (project.config.json and source maps excluded).
 *
 *   node scripts/package-sizes.mjs [dist/weapp] [--json]
 * Exits 1 when a package is over its limit, 2 when there is no build.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const KB = 1024;
export const LIMITS = { main: 600 * KB, subpackage: 2 * KB * KB, total: 30 * KB * KB };
const EXCLUDED = [/^project\.config\.json$/, /^project\.private\.config\.json$/, /\.map$/];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

export function packageSizes(distDir) {
  const root = resolve(distDir);
  const appJson = JSON.parse(readFileSync(join(root, 'app.json'), 'utf8'));
  const subs = (appJson.subPackages ?? appJson.subpackages ?? []).map((p) => ({
    name: p.name ?? p.root,
    root: p.root.replace(/\/+$/, ''),
    bytes: 0,
    files: 0,
  }));
  const main = { name: 'main', root: '', bytes: 0, files: 0 };
  for (const path of files(root)) {
    const rel = relative(root, path).split(sep).join('/');
    if (EXCLUDED.some((re) => re.test(rel))) continue;
    const size = statSync(path).size;
    const owner = subs.find((p) => rel.startsWith(`${p.root}/`)) ?? main;
    owner.bytes += size;
    owner.files += 1;
  }
  const packages = [{ ...main, limit: LIMITS.main }, ...subs.map((p) => ({ ...p, limit: LIMITS.subpackage }))].map((p) => ({
    ...p,
    ok: p.bytes <= p.limit,
  }));
  const total = packages.reduce((sum, p) => sum + p.bytes, 0);
  return { packages, total, totalOk: total <= LIMITS.total, ok: packages.every((p) => p.ok) && total <= LIMITS.total };
}

const kb = (n) => `${(n / KB).toFixed(1)} KB`;

function main() {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--')) ?? 'dist/weapp';
  if (!existsSync(join(dir, 'app.json'))) {
    console.error(`no weapp build at ${dir}: run pnpm run build:weapp`);
    process.exit(2);
  }
  const report = packageSizes(dir);
  if (args.includes('--json')) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const rows = report.packages.map((p) => [p.name, p.root || '/', String(p.files), kb(p.bytes), kb(p.limit), p.ok ? 'ok' : 'OVER']);
    rows.unshift(['package', 'root', 'files', 'size', 'limit', '']);
    rows.push(['total', '', '', kb(report.total), kb(LIMITS.total), report.totalOk ? 'ok' : 'OVER']);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows)
      console.log(r.map((cell, i) => (i >= 2 && i <= 4 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  '));
  }
  process.exit(report.ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) main();
