/**
 * Command-line flags of the host (and the Electron app):
 *   --server <url>          the Jifen server (default: the stored setting, else http://127.0.0.1:3000)
 *   --token <token>         the terminal token HQ issued
 *   --printer <uri>         tcp://host:9100 | file:/dev/usb/lp0 | serial:/dev/ttyUSB0?baud=9600 | none
 *   --paper 58mm|80mm
 *   --scanner wedge | serial:<path>[?baud=9600]
 *   --store-name <name>     printed when the server cannot tell the store's name
 *   --terminal-label <T01>
 *   --port <3200>  --host <127.0.0.1>  --data-dir <dir>
 *   --staff user:pin[:name] (repeatable) interim sign-in while the server has no PIN sign-in
 *   --catalogue <file.json> interim products while the server has no catalogue
 *   --no-interim            never answer missing server endpoints locally
 *   --build                 rebuild the UI before serving it
 *   --autostart / --no-autostart   (Electron) start with the till user's session, or stop doing so
 * Settings given here are saved, so the set-up screen shows them and the next start keeps them.
 */
import { readFileSync } from 'node:fs';
import type { KioskConfigPatch } from '../ipc-contract.js';
import { DEMO_CATALOGUE, DEMO_STAFF, parseStaffFlag } from './interim-pos-api.js';
import type { CatalogueProduct, InterimStaff } from './interim-pos-api.js';

export interface HostArgs {
  configOverrides: KioskConfigPatch;
  port: number;
  host: string;
  dataDir: string | null;
  interim: { staff: InterimStaff[]; catalogue: CatalogueProduct[] } | null;
  build: boolean;
  /** The demo cashier was added because no --staff was given (the host prints a warning). */
  demoStaff: boolean;
  /** Electron: turn auto-start on or off (null: leave it). */
  autoStart: boolean | null;
}

export class UsageError extends Error {}

export function parseHostArgs(argv: readonly string[], options: { loopbackDemoStaff: boolean } = { loopbackDemoStaff: true }): HostArgs {
  const out: HostArgs = {
    configOverrides: {},
    port: 3200,
    host: '127.0.0.1',
    dataDir: null,
    interim: null,
    build: false,
    demoStaff: false,
    autoStart: null,
  };
  const staff: InterimStaff[] = [];
  let catalogue: CatalogueProduct[] = [...DEMO_CATALOGUE];
  let interim = true;
  const c = out.configOverrides;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--':
        break; // `pnpm run host -- …` may pass the separator through
      case '--server':
        c.serverUrl = value();
        break;
      case '--token':
        c.terminalToken = value();
        break;
      case '--printer': {
        const v = value();
        c.printerUri = v === 'none' ? '' : v;
        break;
      }
      case '--paper': {
        const v = value();
        if (v !== '58mm' && v !== '80mm' && v !== '58' && v !== '80') throw new UsageError('--paper 58mm or 80mm');
        c.paper = v.startsWith('58') ? '58mm' : '80mm';
        break;
      }
      case '--scanner': {
        const v = value();
        if (v === 'wedge') c.scanner = { mode: 'wedge' };
        else if (v.startsWith('serial:')) {
          const url = new URL(v);
          c.scanner = {
            mode: 'serial',
            serialPath: decodeURIComponent(url.pathname || url.host),
            baudRate: Number(url.searchParams.get('baud') ?? 9600),
          };
        } else throw new UsageError('--scanner wedge or serial:/dev/ttyACM0');
        break;
      }
      case '--store-name':
        c.storeName = value();
        break;
      case '--terminal-label':
        c.terminalLabel = value();
        break;
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number');
        out.port = port;
        break;
      }
      case '--host':
        out.host = value();
        break;
      case '--data-dir':
        out.dataDir = value();
        break;
      case '--staff':
        staff.push(parseStaffFlag(value()));
        break;
      case '--catalogue':
        catalogue = JSON.parse(readFileSync(value(), 'utf8')) as CatalogueProduct[];
        break;
      case '--no-interim':
        interim = false;
        break;
      case '--build':
        out.build = true;
        break;
      case '--autostart':
        out.autoStart = true;
        break;
      case '--no-autostart':
        out.autoStart = false;
        break;
      case '--windowed':
      case '--dev-tools':
        break; // Electron-only
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  if (interim) {
    // A demo cashier only for a server on this machine (the sandbox); a real till names its staff.
    if (staff.length === 0 && options.loopbackDemoStaff && isLoopback(c.serverUrl ?? 'http://127.0.0.1:3000')) {
      staff.push(DEMO_STAFF);
      out.demoStaff = true;
    }
    out.interim = { staff, catalogue };
  }
  return out;
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}
