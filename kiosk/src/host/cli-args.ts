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
 *   --build                 rebuild the UI before serving it
 *   --autostart / --no-autostart   (Electron) start with the till user's session, or stop doing so
 * Settings given here are saved, so the set-up screen shows them and the next start keeps them.
 */
import type { KioskConfigPatch } from '../ipc-contract.js';

export interface HostArgs {
  configOverrides: KioskConfigPatch;
  port: number;
  host: string;
  dataDir: string | null;
  build: boolean;
  /** Electron: turn auto-start on or off (null: leave it). */
  autoStart: boolean | null;
}

export class UsageError extends Error {}

export function parseHostArgs(argv: readonly string[]): HostArgs {
  const out: HostArgs = {
    configOverrides: {},
    port: 3200,
    host: '127.0.0.1',
    dataDir: null,
    build: false,
    autoStart: null,
  };
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
      case '--staff':
      case '--catalogue':
      case '--no-interim':
        throw new UsageError(
          `${name} is gone: staff, PINs and the catalogue are HQ's, on the server (POST /api/admin/staff, PUT /api/admin/products)`,
        );
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return out;
}
