/**
 * Electron's entry (package.json "main" → dist/main/electron-main.js, after `pnpm --filter @jifen/kiosk build`).
 * Flags as the host's (host/cli-args.ts): --server, --token, --printer, --paper, --scanner …
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import electron from 'electron';
import { parseHostArgs } from '../host/cli-args.js';
import { startKioskApp } from './app.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseHostArgs(process.argv.slice(2));
void startKioskApp(electron, {
  rendererDir: join(here, '../renderer'),
  preloadPath: join(here, '../preload/preload.cjs'),
  configOverrides: args.configOverrides,
  ...(args.dataDir ? { dataDir: args.dataDir } : {}),
  ...(args.autoStart !== null ? { autoStart: args.autoStart } : {}),
  kiosk: !process.argv.includes('--windowed'),
  devTools: process.argv.includes('--dev-tools'),
}).catch((err: unknown) => {
  console.error(err);
  electron.app.exit(1);
});
