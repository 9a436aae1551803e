/**
 * The terminal's settings: one JSON file in the kiosk's data directory (mode 0600: it holds the terminal
 * token), written atomically (temp file, fsync, rename) so a power cut leaves the old or the new file,
 * never half of one. `setupConfig()` serves config:get / config:set / config:testServer.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KioskConfig, KioskConfigPatch, KioskConfigView } from '../ipc-contract.js';
import { KioskError } from '../shared/kiosk-error.js';
import type { PosApi } from '../shared/pos-api.js';
import { isPosApiError } from '../shared/pos-api.js';
import type { ChannelRegistrar } from './ipc.js';
import { parsePrinterUri } from './devices/transports.js';

export const DEFAULT_CONFIG: KioskConfig = {
  serverUrl: 'http://127.0.0.1:3000',
  terminalToken: '',
  printerUri: '',
  paper: '80mm',
  qr: 'raster',
  scanner: { mode: 'wedge', serialPath: '', baudRate: 9600, maxInterKeyMs: 50, minLength: 6 },
  drawer: { enabled: true, pin: 2 },
  storeName: '积分便利店',
  terminalLabel: 'T01',
};

type Listener = (config: KioskConfig, previous: KioskConfig) => void;

export class ConfigStore {
  private config: KioskConfig;
  private readonly listeners = new Set<Listener>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string | null,
    initial: KioskConfig,
  ) {
    this.config = initial;
  }

  /** Reads the file (defaults for anything missing); `path: null` keeps it in memory (tests). */
  static open(path: string | null): ConfigStore {
    let stored: Partial<KioskConfig> = {};
    if (path) {
      mkdirSync(dirname(path), { recursive: true });
      try {
        stored = JSON.parse(readFileSync(path, 'utf8')) as Partial<KioskConfig>;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return new ConfigStore(path, merge(DEFAULT_CONFIG, stored));
  }

  get(): KioskConfig {
    return this.config;
  }

  view(): KioskConfigView {
    const { terminalToken, ...rest } = this.config;
    return { ...rest, hasToken: terminalToken.length > 0 };
  }

  /** Validates, applies, saves, tells listeners. Throws INVALID_INPUT with the field in the message. */
  async update(patch: KioskConfigPatch): Promise<KioskConfig> {
    const next = validate(merge(this.config, patch));
    const previous = this.config;
    this.config = next;
    await this.save();
    for (const l of [...this.listeners]) l(next, previous);
    return next;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private save(): Promise<void> {
    const path = this.path;
    if (!path) return Promise.resolve();
    const text = `${JSON.stringify(this.config, null, 2)}\n`;
    this.writing = this.writing.then(async () => {
      const tmp = `${path}.tmp`;
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    });
    return this.writing;
  }
}

function merge(base: KioskConfig, patch: KioskConfigPatch | Partial<KioskConfig>): KioskConfig {
  return {
    ...base,
    ...definedOnly(patch),
    scanner: { ...base.scanner, ...definedOnly(patch.scanner ?? {}) },
    drawer: { ...base.drawer, ...definedOnly(patch.drawer ?? {}) },
  } as KioskConfig;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function invalid(field: string, why: string): KioskError {
  return new KioskError('INVALID_INPUT', `${field}: ${why}`);
}

export function validate(c: KioskConfig): KioskConfig {
  if (c.serverUrl) {
    let url: URL;
    try {
      url = new URL(c.serverUrl);
    } catch {
      throw invalid('serverUrl', 'not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('serverUrl', 'must be http(s)');
  }
  if (c.terminalToken && !/^[\w-]{16,128}$/.test(c.terminalToken)) throw invalid('terminalToken', 'not a terminal token');
  if (c.printerUri) {
    try {
      parsePrinterUri(c.printerUri);
    } catch (err) {
      throw invalid('printerUri', err instanceof Error ? err.message : String(err));
    }
  }
  if (c.paper !== '58mm' && c.paper !== '80mm') throw invalid('paper', 'must be 58mm or 80mm');
  if (c.qr !== 'raster' && c.qr !== 'native') throw invalid('qr', 'must be raster or native');
  if (c.scanner.mode !== 'wedge' && c.scanner.mode !== 'serial') throw invalid('scanner.mode', 'must be wedge or serial');
  if (c.scanner.mode === 'serial' && !c.scanner.serialPath) throw invalid('scanner.serialPath', 'required in serial mode');
  if (!Number.isInteger(c.scanner.baudRate) || c.scanner.baudRate <= 0) throw invalid('scanner.baudRate', 'must be a positive integer');
  if (!Number.isInteger(c.scanner.maxInterKeyMs) || c.scanner.maxInterKeyMs < 5 || c.scanner.maxInterKeyMs > 500) {
    throw invalid('scanner.maxInterKeyMs', '5–500');
  }
  if (!Number.isInteger(c.scanner.minLength) || c.scanner.minLength < 3 || c.scanner.minLength > 64)
    throw invalid('scanner.minLength', '3–64');
  if (c.drawer.pin !== 2 && c.drawer.pin !== 5) throw invalid('drawer.pin', 'must be 2 or 5');
  if (typeof c.drawer.enabled !== 'boolean') throw invalid('drawer.enabled', 'must be true or false');
  if (!c.storeName.trim() || c.storeName.length > 40) throw invalid('storeName', '1–40 characters');
  if (!c.terminalLabel.trim() || c.terminalLabel.length > 16) throw invalid('terminalLabel', '1–16 characters');
  return c;
}

export interface ConfigModuleDeps {
  store: ConfigStore;
  /** The server API for the current settings (null without a server URL and token). */
  api: () => PosApi | null;
}

export function setupConfig(registrar: ChannelRegistrar, deps: ConfigModuleDeps): void {
  registrar.handle('config:get', () => deps.store.view());
  registrar.handle('config:set', async (patch) => {
    if (typeof patch !== 'object' || patch === null) throw invalid('patch', 'must be an object');
    await deps.store.update(patch);
    return deps.store.view();
  });
  registrar.handle('config:testServer', async () => {
    const api = deps.api();
    if (!api) return { ok: false, storeName: null, code: 'NOT_CONFIGURED' as const };
    try {
      const info = await api.terminalInfo();
      return { ok: true, storeName: info.store.name, code: null };
    } catch (err) {
      if (isPosApiError(err)) return { ok: false, storeName: null, code: err.code };
      throw err;
    }
  });
}
