/**
 * Serves the mini-program's H5 build (miniprogram/dist/h5) for the sandbox on port 3300, building it
 * first when it is missing. In the sandbox the H5 app signs in through the WeChat simulator.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export function ensureH5Build(root: string, log: (line: string) => void): string {
  const dir = join(root, 'miniprogram', 'dist', 'h5');
  if (!existsSync(join(dir, 'index.html'))) {
    log('  building the mini-program H5 app (first start only, about 30 s)…');
    const r = spawnSync('pnpm', ['--filter', '@jifen/miniprogram', 'run', 'build:h5'], { cwd: root, stdio: 'ignore' });
    if (r.status !== 0 || !existsSync(join(dir, 'index.html')))
      throw new Error('the mini-program H5 build failed: run `pnpm --filter @jifen/miniprogram run build:h5` to see why');
  }
  return dir;
}

export function serveStatic(dir: string, port: number): Promise<Server> {
  const base = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    let file = normalize(join(base, path));
    if (!file.startsWith(base) || !existsSync(file) || statSync(file).isDirectory()) file = join(base, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}
