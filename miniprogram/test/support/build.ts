/**
 * The build-dependent tests need dist/weapp. They build it when it is missing or older than any source
 * (src/, config/, shared/src/, the build config files), so they always test the current code; a broken
 * build fails them. Concurrent test files share one build through a lock directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEAPP_DIST = join(ROOT, 'dist', 'weapp');
const LOCK = join(ROOT, 'dist', '.weapp-build.lock');
/** Written after a build these tests ran (outside dist/weapp, so it is not part of the package). */
const STAMP = join(ROOT, 'dist', '.weapp-built-at');
const INPUTS = ['src', 'config', 'babel.config.js', 'project.config.json', 'package.json', 'tsconfig.json', '../shared/src'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce(
    (max, name) => (name === 'node_modules' ? max : Math.max(max, newestMtime(join(path, name)))),
    st.mtimeMs,
  );
}

function isFresh(): boolean {
  // webpack leaves unchanged files untouched, so dist's own mtimes cannot tell whether a build ran: a stamp does.
  if (!existsSync(STAMP) || !existsSync(join(WEAPP_DIST, 'app.js'))) return false;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.every((p) => newestMtime(join(ROOT, p)) <= built);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds dist/weapp with the project's Taro CLI unless it is up to date. Throws with the build output on failure. */
export async function ensureWeappBuild(): Promise<string> {
  for (;;) {
    if (isFresh()) return WEAPP_DIST;
    try {
      mkdirSync(join(ROOT, 'dist'), { recursive: true });
      mkdirSync(LOCK);
    } catch {
      // Another test file is building: wait for it (a lock older than 3 minutes is a crashed run).
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true });
      await sleep(500);
      continue;
    }
    try {
      if (isFresh()) return WEAPP_DIST;
      const startedAt = new Date();
      const taro = createRequire(join(ROOT, 'package.json')).resolve('@tarojs/cli/bin/taro');
      const res = spawnSync(process.execPath, [taro, 'build', '--type', 'weapp'], {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'production', TARO_ENV: 'weapp', FORCE_COLOR: '0' },
        encoding: 'utf8',
        timeout: 150_000,
      });
      if (res.status !== 0 || !existsSync(join(WEAPP_DIST, 'app.js'))) {
        throw new Error(`taro build --type weapp failed (${res.status ?? res.signal}):\n${res.stdout}\n${res.stderr}`.slice(-6000));
      }
      writeFileSync(STAMP, '');
      // Sources edited while the build ran make the next check rebuild.
      utimesSync(STAMP, startedAt, startedAt);
      return WEAPP_DIST;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}
