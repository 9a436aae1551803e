/**
 * The mini-program's H5 build for the browser tests: built once per version of its sources and cached,
 * then served with the real server's and the WeChat simulator's addresses filled in.
 *
 * The build bakes JIFEN_API_BASE and JIFEN_WECHAT_SIM in as string literals. The tests run everything on
 * random ports, so the cached build carries placeholder origins and the static server swaps them for the
 * real ones in every script it serves: one build serves any ports, and the app still calls the server
 * and the simulator cross-origin, as in the sandbox (so CORS is part of what the tests exercise).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { serveStatic } from '../sandbox/h5.js';
import { ROOT } from './support.js';

/** Placeholder origins baked into the cached build (never resolvable: `.invalid` is reserved). */
export const PLACEHOLDER = { api: 'http://jifen-api.e2e.invalid', sim: 'http://wechat-sim.e2e.invalid' } as const;

const MINIPROGRAM = join(ROOT, 'miniprogram');
/** Gitignored (under node_modules) and outside everything prettier and eslint look at. */
const CACHE = join(ROOT, 'test', 'node_modules', '.cache', 'miniprogram-h5');
/** What the H5 bundle is built from. Unit tests and their stand-ins are left out: they are not in the bundle. */
const INPUTS = [
  'miniprogram/src',
  'miniprogram/config',
  'miniprogram/types',
  'miniprogram/babel.config.js',
  'miniprogram/package.json',
  'miniprogram/project.config.json',
  'miniprogram/tsconfig.json',
  'shared/src',
  'shared/package.json',
];
/** Bump when the way this module builds changes. */
const RECIPE = 'h5-build-1';

function isTestFile(rel: string): boolean {
  return /\.test\.tsx?$/.test(rel) || rel.startsWith('miniprogram/src/test/');
}

function listFiles(abs: string, out: string[]): void {
  if (!existsSync(abs)) return;
  if (!statSync(abs).isDirectory()) {
    out.push(abs);
    return;
  }
  for (const name of readdirSync(abs).sort()) if (name !== 'node_modules') listFiles(join(abs, name), out);
}

/** A hash of every input file's path and content, the placeholders and the recipe. */
export function h5SourceHash(): string {
  const hash = createHash('sha256').update(`${RECIPE}\n${PLACEHOLDER.api}\n${PLACEHOLDER.sim}\n`);
  const files: string[] = [];
  for (const input of INPUTS) listFiles(join(ROOT, input), files);
  for (const file of files) {
    const rel = relative(ROOT, file).split('\\').join('/');
    if (isTestFile(rel)) continue;
    hash.update(`${rel}\n`).update(readFileSync(file)).update('\n');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The cached H5 build for the current sources, built first when there is none (about 40 s here). Older
 * builds are removed. Two runs building at once each build into their own folder; the first to finish wins.
 * @throws Error with the end of the build output when the build fails.
 */
export function ensureH5TestBuild(log: (line: string) => void = () => undefined): string {
  const dir = join(CACHE, h5SourceHash());
  if (existsSync(join(dir, 'index.html'))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  log(`building the mini-program H5 app into ${relative(ROOT, dir)}…`);
  const started = Date.now();
  const taro = createRequire(join(MINIPROGRAM, 'package.json')).resolve('@tarojs/cli/bin/taro');
  const res = spawnSync(process.execPath, [taro, 'build', '--type', 'h5'], {
    cwd: MINIPROGRAM,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      TARO_ENV: 'h5',
      FORCE_COLOR: '0',
      JIFEN_OUTPUT_ROOT: tmp,
      JIFEN_API_BASE: PLACEHOLDER.api,
      JIFEN_WECHAT_SIM: PLACEHOLDER.sim,
    },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (res.status !== 0 || !existsSync(join(tmp, 'index.html'))) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`taro build --type h5 failed (${res.status ?? res.signal}):\n${res.stdout}\n${res.stderr}`.slice(-6000));
  }
  const bundle = readdirSync(join(tmp, 'js'))
    .map((f) => readFileSync(join(tmp, 'js', f), 'utf8'))
    .join('\n');
  for (const origin of Object.values(PLACEHOLDER)) {
    if (!bundle.includes(origin))
      throw new Error(`the H5 build does not contain the placeholder ${origin}: the tests could not point it anywhere`);
  }
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another run finished the same build first: keep theirs.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'index.html'))) throw e;
  }
  for (const name of readdirSync(CACHE)) {
    const other = join(CACHE, name);
    // Older builds go; another run's build in progress (`.tmp-<pid>`) is left alone.
    if (other !== dir && !name.includes('.tmp-')) rmSync(other, { recursive: true, force: true });
  }
  log(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

export interface H5Site {
  /** `http://127.0.0.1:<port>` (no trailing slash): also the Origin the app's requests carry. */
  origin: string;
  /** The app's URL for a page path such as `/pages/launch/index` (hash router). */
  pageUrl(path: string, query?: Record<string, string>): string;
  close(): Promise<void>;
}

/** Serves the build on a random port with the placeholders replaced by `api` and `sim`. */
export async function serveH5(dir: string, origins: { api: string; sim: string }): Promise<H5Site> {
  const server: Server = await serveStatic(dir, 0, {
    [PLACEHOLDER.api]: origins.api.replace(/\/+$/, ''),
    [PLACEHOLDER.sim]: origins.sim.replace(/\/+$/, ''),
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    pageUrl: (path, query = {}) => {
      const qs = new URLSearchParams(query).toString();
      return `${origin}/#${path}${qs ? `?${qs}` : ''}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
