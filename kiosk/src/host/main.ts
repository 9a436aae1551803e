/**
 * The kiosk host (browser mode, "web POS"): the device service on http://127.0.0.1:3200/.
 *   node --conditions=jifen-source --import tsx kiosk/src/host/main.ts \
 *     --server http://127.0.0.1:3000 --token <terminal token> --printer tcp://127.0.0.1:9100 --port 3200
 * Flags: host/cli-args.ts. Ctrl-C stops it (the offline journal is already on disk).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createKioskService } from '../main/service.js';
import { buildRenderer, RENDERER_DIST } from './build-ui.js';
import { parseHostArgs, UsageError } from './cli-args.js';
import { LockedError } from './data-lock.js';
import { startHostServer } from './server.js';

async function main(): Promise<void> {
  let args;
  try {
    args = parseHostArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`kiosk host: ${err.message}\nsee kiosk/README.md ("Browser mode") for the flags`);
      process.exit(2);
    }
    throw err;
  }
  const log = (line: string): void => console.log(`[kiosk ${new Date().toISOString()}] ${line}`);
  if (args.build || !existsSync(join(RENDERER_DIST, 'index.html'))) {
    log('building the UI …');
    await buildRenderer();
  }
  // Default: the monorepo's ./data (beside the sandbox's database), wherever the host is started from.
  const dataDir = resolve(args.dataDir ?? process.env.JIFEN_KIOSK_DATA ?? join(RENDERER_DIST, '../../../data/kiosk'));
  let service;
  try {
    service = await createKioskService({ dataDir, configOverrides: args.configOverrides, log });
  } catch (err) {
    if (err instanceof LockedError) {
      console.error(`kiosk host: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const host = await startHostServer({ table: service.table, rendererDir: RENDERER_DIST, port: args.port, host: args.host, log });
  const config = service.config.get();
  const lines = [
    '',
    `  积分收银 kiosk host   ${host.url}`,
    `  Server     ${config.serverUrl}${config.terminalToken ? '' : '   (no terminal token yet: set it on the 终端设置 screen or with --token)'}`,
    `  Printer    ${config.printerUri || '(none)'}   paper ${config.paper}`,
    `  Scanner    ${config.scanner.mode === 'serial' ? `serial ${config.scanner.serialPath}` : 'keyboard wedge (in the browser)'}`,
    `  Data       ${dataDir}   (offline queue: ${service.queue.pending().length} waiting)`,
  ];
  lines.push('');
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void host
      .close()
      .then(() => service.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
