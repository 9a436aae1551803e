/**
 * Start the kiosk when the till's user logs in: `app.setLoginItemSettings` on Windows (and macOS);
 * an XDG autostart entry (~/.config/autostart/jifen-kiosk.desktop) on Linux, where Electron has no API
 * for it. See kiosk/README.md, "Auto-start".
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { App } from 'electron';

export const AUTOSTART_FILE_NAME = 'jifen-kiosk.desktop';

export interface DesktopEntryOptions {
  /** The executable (absolute path). */
  exec: string;
  args?: readonly string[];
  name?: string;
  comment?: string;
  /** Seconds to wait after login (lets the network come up). Honoured by GNOME; others ignore it. */
  delaySeconds?: number;
}

/**
 * Quotes one Exec argument per the Desktop Entry spec: arguments with reserved characters are
 * double-quoted with `"`, `` ` ``, `$` and `\` backslash-escaped; `%` (field codes) is doubled.
 */
export function quoteExecArg(arg: string): string {
  const percent = arg.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(percent)) return percent;
  return `"${percent.replace(/(["`$\\])/g, '\\$1')}"`;
}

/** Escapes a string value (Name, Comment): backslash, newline, tab, carriage return. */
function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
}

/** The content of an XDG autostart .desktop file. */
export function xdgAutostartEntry(options: DesktopEntryOptions): string {
  const exec = [options.exec, ...(options.args ?? [])].map(quoteExecArg).join(' ');
  const lines = [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${escapeValue(options.name ?? 'Jifen Kiosk')}`,
    'Name[zh_CN]=积分收银',
    `Comment=${escapeValue(options.comment ?? 'Jifen point-of-sale kiosk')}`,
    `Exec=${exec}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    ...(options.delaySeconds ? [`X-GNOME-Autostart-Delay=${Math.round(options.delaySeconds)}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** `$XDG_CONFIG_HOME/autostart/jifen-kiosk.desktop`, default `~/.config/autostart/…`. */
export function xdgAutostartPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const configHome = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(configHome, 'autostart', AUTOSTART_FILE_NAME);
}

export interface AutoStartOptions {
  enabled: boolean;
  platform?: NodeJS.Platform;
  /** The app executable; default process.execPath. */
  exec?: string;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** Turns auto-start on or off for the current user. Returns what it did, for the log. */
export async function configureAutoStart(app: Pick<App, 'setLoginItemSettings'>, options: AutoStartOptions): Promise<string> {
  const platform = options.platform ?? process.platform;
  const exec = options.exec ?? process.execPath;
  const args = [...(options.args ?? [])];
  if (platform === 'win32' || platform === 'darwin') {
    app.setLoginItemSettings({ openAtLogin: options.enabled, path: exec, args });
    return `login item ${options.enabled ? 'set' : 'cleared'} for ${exec}`;
  }
  if (platform === 'linux') {
    const file = xdgAutostartPath(options.env, options.home);
    if (!options.enabled) {
      await rm(file, { force: true });
      return `removed ${file}`;
    }
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, xdgAutostartEntry({ exec, args, delaySeconds: 5 }), { mode: 0o644 });
    return `wrote ${file}`;
  }
  return `auto-start not supported on ${platform}`;
}
