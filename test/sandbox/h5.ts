/**
 * Serves the mini-program's H5 build for the sandbox on port 3300 and for the browser tests (the build
 * itself is cached per version of its sources: e2e/miniprogram-h5.ts). In the sandbox the H5 app signs
 * in through the WeChat simulator.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
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

/**
 * A static server for an H5 build (unknown paths get index.html: the app routes by hash). `replace`
 * swaps strings in the scripts it serves: the browser tests point a cached build at random ports.
 */
export function serveStatic(dir: string, port: number, replace: Record<string, string> = {}): Promise<Server> {
  const base = resolve(dir);
  const swaps = Object.entries(replace);
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    let file = normalize(join(base, path));
    if (!file.startsWith(base) || !existsSync(file) || statSync(file).isDirectory()) file = join(base, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    if (swaps.length > 0 && extname(file) === '.js') {
      res.end(swaps.reduce((text, [from, to]) => text.replaceAll(from, to), readFileSync(file, 'utf8')));
      return;
    }
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}
