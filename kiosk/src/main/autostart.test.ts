import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { configureAutoStart, quoteExecArg, xdgAutostartEntry, xdgAutostartPath } from './autostart.js';

describe('auto-start', () => {
  it('writes a valid XDG autostart entry with quoted Exec arguments', () => {
    const entry = xdgAutostartEntry({ exec: '/opt/Jifen Kiosk/jifen-kiosk', args: ['--server', 'https://pos.example.com', '--note=100%'] });
    expect(entry).toContain('[Desktop Entry]\nType=Application\n');
    expect(entry).toContain('Exec="/opt/Jifen Kiosk/jifen-kiosk" --server https://pos.example.com --note=100%%\n');
    expect(entry).toContain('Name[zh_CN]=积分收银\n');
    expect(entry).toContain('Terminal=false\n');
    expect(quoteExecArg('a"b$c`d\\e f')).toBe('"a\\"b\\$c\\`d\\\\e f"');
  });

  it('puts it under $XDG_CONFIG_HOME/autostart, else ~/.config/autostart', () => {
    expect(xdgAutostartPath({ XDG_CONFIG_HOME: '/etc/xdg-user' }, '/home/pos')).toBe('/etc/xdg-user/autostart/jifen-kiosk.desktop');
    expect(xdgAutostartPath({}, '/home/pos')).toBe('/home/pos/.config/autostart/jifen-kiosk.desktop');
    expect(xdgAutostartPath({ XDG_CONFIG_HOME: 'relative' }, '/home/pos')).toBe('/home/pos/.config/autostart/jifen-kiosk.desktop');
  });

  it('uses the login item on Windows and the desktop file on Linux', async () => {
    const app = { setLoginItemSettings: vi.fn() };
    await configureAutoStart(app, { enabled: true, platform: 'win32', exec: 'C:\\Jifen\\jifen-kiosk.exe', args: ['--kiosk'] });
    expect(app.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true, path: 'C:\\Jifen\\jifen-kiosk.exe', args: ['--kiosk'] });

    const home = await mkdtemp(join(tmpdir(), 'kiosk-home-'));
    try {
      await configureAutoStart(app, { enabled: true, platform: 'linux', exec: '/opt/jifen/jifen-kiosk', env: {}, home });
      const file = join(home, '.config/autostart/jifen-kiosk.desktop');
      expect(await readFile(file, 'utf8')).toContain('Exec=/opt/jifen/jifen-kiosk\n');
      await configureAutoStart(app, { enabled: false, platform: 'linux', env: {}, home });
      await expect(stat(file)).rejects.toThrow();
      expect(app.setLoginItemSettings).toHaveBeenCalledTimes(1);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
