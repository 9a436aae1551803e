// @vitest-environment node
/**
 * miniprogram-ci's offline checks on the built weapp package: analyseCode, checkCodeQuality and
 * getCompiledResult (WeChat DevTools' own compiler). Offline means: `project.attr` is replaced by the default
 * attributes (the real ones come from WeChat's servers) and a throwaway private key satisfies the constructor.
 * They catch pages missing from app.json and JS that does not parse (both shown with broken copies below),
 * not broken WXML.
 */
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureWeappBuild } from './support/build';

interface CheckItem {
  name: string;
  success: boolean;
  text: string;
}

interface CiProject {
  attr: () => Promise<unknown>;
}

interface MiniprogramCi {
  Project: new (options: Record<string, unknown>) => CiProject;
  DefaultProjectAttr: unknown;
  analyseCode(
    project: CiProject,
    options?: { silent: boolean },
  ): Promise<{ files: Array<{ path: string; subPackage: string | null }> } | undefined>;
  checkCodeQuality(project: CiProject): Promise<CheckItem[]>;
  getCompiledResult(options: Record<string, unknown>, savePath?: string): Promise<Record<string, string | Buffer>>;
}

const ci = createRequire(join(ROOT, 'package.json'))('miniprogram-ci') as MiniprogramCi;
const APPID = 'wxd0000000000jifen';
/** As project.config.json asks WeChat to build it: ES5 already (Taro's babel), minified on upload. */
const SETTING = { es6: false, es7: false, minify: true, minifyJS: true, minifyWXML: true, minifyWXSS: true };

let dist = '';
let work = '';
let keyPath = '';

function project(path: string): CiProject {
  const p = new ci.Project({
    appid: APPID,
    type: 'miniProgram',
    projectPath: path,
    privateKeyPath: keyPath,
    ignores: ['node_modules/**/*'],
  });
  // The real attributes come from WeChat's servers; offline, the defaults.
  p.attr = async () => ci.DefaultProjectAttr;
  return p;
}

/** getCompiledResult leaves an empty directory in the working directory: keep it in the temporary one. */
async function compile(path: string, out: string): Promise<Record<string, string | Buffer>> {
  const cwd = process.cwd();
  process.chdir(work);
  try {
    return await ci.getCompiledResult({ project: project(path), version: '0.1.0', setting: SETTING }, join(work, out));
  } finally {
    process.chdir(cwd);
  }
}

function appJson(path: string): { pages: string[]; subPackages: Array<{ root: string; pages: string[] }> } {
  return JSON.parse(readFileSync(join(path, 'app.json'), 'utf8')) as ReturnType<typeof appJson>;
}

function allPages(path: string): string[] {
  const app = appJson(path);
  return [...app.pages, ...app.subPackages.flatMap((s) => s.pages.map((p) => `${s.root}/${p}`))];
}

beforeAll(async () => {
  dist = await ensureWeappBuild();
  work = mkdtempSync(join(tmpdir(), 'jifen-mp-ci-'));
  keyPath = join(work, 'private.wxd0000000000jifen.key');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs1', format: 'pem' }));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('miniprogram-ci offline checks', () => {
  it('analyseCode sees every page of app.json, subpackage files in their subpackage', async () => {
    const analysis = await ci.analyseCode(project(dist), { silent: true });
    expect(analysis).toBeDefined();
    const files = new Map(analysis!.files.map((f) => [f.path, f]));
    for (const page of allPages(dist)) {
      for (const ext of ['js', 'json', 'wxml']) expect(files.has(`${page}.${ext}`), `${page}.${ext}`).toBe(true);
    }
    for (const sub of appJson(dist).subPackages) {
      const inside = analysis!.files.filter((f) => f.path.startsWith(`${sub.root}/`));
      expect(inside.length).toBeGreaterThan(0);
      inside.forEach((f) => expect(f.subPackage?.replace(/\/$/, ''), f.path).toBe(sub.root));
    }
  });

  it('checkCodeQuality passes every check (sizes, compression, lazy code loading, no stray code)', async () => {
    const results = await ci.checkCodeQuality(project(dist));
    const names = results.map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining(['PACKAGE_SIZE_LIMIT', 'CONTAINS_OTHER_PKG_JS', 'CONTAINS_UNUSED_CODES', 'LAZYCODE_LOADING_OPEN']),
    );
    expect(results.filter((r) => !r.success).map((r) => `${r.name}: ${r.text}`)).toEqual([]);
  });

  it('getCompiledResult compiles the package with WeChat’s compiler', async () => {
    const compiled = await compile(dist, 'compiled');
    for (const page of allPages(dist)) {
      for (const ext of ['js', 'json', 'wxml', 'wxss']) expect(compiled[`${page}.${ext}`], `${page}.${ext}`).toBeDefined();
    }
    expect(JSON.parse(String(compiled['app.json'])).pages).toEqual(appJson(dist).pages);
  });

  it('the same checks fail on a copy with a page missing from the package or JS that does not parse', async () => {
    const missing = join(work, 'missing-page');
    cpSync(dist, missing, { recursive: true });
    const app = appJson(missing);
    app.pages.push('pages/nowhere/index');
    writeFileSync(join(missing, 'app.json'), JSON.stringify(app));
    await expect(compile(missing, 'out-missing')).rejects.toThrow(/pages\/nowhere\/index/);

    const broken = join(work, 'syntax-error');
    cpSync(dist, broken, { recursive: true });
    appendFileSync(join(broken, 'packages/scan/pages/claim/index.js'), '\n}}} function (');
    await expect(compile(broken, 'out-broken')).rejects.toBeTruthy();
  });
});
