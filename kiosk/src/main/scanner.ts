/**
 * setupScanner(): a serial (USB-CDC / HID-POS) scanner on the main side, each code pushed to the UI as
 * `scanner:onScan`. Keyboard-wedge scanners need no main-side part: they type into the page, where the
 * renderer's wedge detector (devices/wedge.ts) tells them from typing. Codes are never logged (a payment
 * code is a bearer token).
 */
import type { KioskConfig } from '../ipc-contract.js';
import type { ConfigStore } from './config.js';
import type { ChannelRegistrar } from './ipc.js';
import { openSerialScanner } from './devices/scanner.js';
import type { SerialScanner, SerialScannerOptions } from './devices/scanner.js';

export interface ScannerModuleDeps {
  config: ConfigStore;
  /** Default openSerialScanner (tests pass one on a MockBinding). */
  open?: (options: SerialScannerOptions) => Promise<SerialScanner>;
  /** After a failed open (unplugged), try again this often. Default 5000 ms. */
  retryMs?: number;
  log?: (line: string) => void;
}

export interface ScannerModule {
  /** 'open' in serial mode with the port open; 'waiting' while it cannot be opened; 'wedge' otherwise. */
  state(): 'wedge' | 'open' | 'waiting';
  close(): Promise<void>;
}

export async function setupScanner(registrar: ChannelRegistrar, deps: ScannerModuleDeps): Promise<ScannerModule> {
  const open = deps.open ?? openSerialScanner;
  const retryMs = deps.retryMs ?? 5_000;
  const log = deps.log ?? (() => undefined);
  let scanner: SerialScanner | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let state: 'wedge' | 'open' | 'waiting' = 'wedge';
  let generation = 0;

  const stop = async (): Promise<void> => {
    generation++;
    if (retry) clearTimeout(retry);
    retry = null;
    const s = scanner;
    scanner = null;
    state = 'wedge';
    await s?.close().catch(() => undefined);
  };

  const start = async (config: KioskConfig): Promise<void> => {
    await stop();
    if (config.scanner.mode !== 'serial' || !config.scanner.serialPath) return;
    const mine = generation;
    const attempt = async (): Promise<void> => {
      if (mine !== generation) return;
      try {
        const opened = await open({ path: config.scanner.serialPath, baudRate: config.scanner.baudRate });
        if (mine !== generation) {
          await opened.close();
          return;
        }
        scanner = opened;
        state = 'open';
        opened.onScan((code) => registrar.emit('scanner:onScan', { code, source: 'serial' }));
        log(`serial scanner on ${config.scanner.serialPath}`);
      } catch (err) {
        state = 'waiting';
        log(`serial scanner ${config.scanner.serialPath}: ${err instanceof Error ? err.message : String(err)}; retrying`);
        retry = setTimeout(() => void attempt(), retryMs);
        retry.unref?.();
      }
    };
    await attempt();
  };

  await start(deps.config.get());
  const unwatch = deps.config.onChange((next, previous) => {
    if (JSON.stringify(next.scanner) !== JSON.stringify(previous.scanner)) void start(next);
  });

  return {
    state: () => state,
    async close() {
      unwatch();
      await stop();
    },
  };
}
