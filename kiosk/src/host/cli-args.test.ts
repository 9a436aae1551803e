import { describe, expect, it } from 'vitest';
import { parseHostArgs, UsageError } from './cli-args.js';

describe('host flags', () => {
  it('reads the documented start line', () => {
    const args = parseHostArgs([
      '--server',
      'http://127.0.0.1:3000',
      '--token',
      'tok-0123456789abcdef',
      '--printer',
      'tcp://127.0.0.1:9100',
      '--port',
      '3200',
    ]);
    expect(args).toMatchObject({
      port: 3200,
      host: '127.0.0.1',
      configOverrides: { serverUrl: 'http://127.0.0.1:3000', terminalToken: 'tok-0123456789abcdef', printerUri: 'tcp://127.0.0.1:9100' },
    });
    // A sandbox on this machine gets the demo cashier; nothing else does.
    expect(args.demoStaff).toBe(true);
    expect(args.interim?.staff).toEqual([{ username: 'cashier', pin: '1234', name: '演示收银员' }]);
    expect(parseHostArgs(['--server', 'https://pos.example.com']).interim?.staff).toEqual([]);
    expect(parseHostArgs(['--staff', 'li:5678:李四']).interim?.staff).toEqual([{ username: 'li', pin: '5678', name: '李四' }]);
    expect(parseHostArgs(['--no-interim']).interim).toBeNull();
  });

  it('scanner, paper and printer forms', () => {
    expect(parseHostArgs(['--scanner', 'serial:/dev/ttyACM0?baud=115200', '--paper', '58', '--printer', 'none']).configOverrides).toEqual({
      scanner: { mode: 'serial', serialPath: '/dev/ttyACM0', baudRate: 115200 },
      paper: '58mm',
      printerUri: '',
    });
    expect(() => parseHostArgs(['--paper', '76mm'])).toThrow(UsageError);
    expect(() => parseHostArgs(['--staff', 'li:12'])).toThrow(/4–8 digit/);
    expect(() => parseHostArgs(['--bogus'])).toThrow(UsageError);
    expect(() => parseHostArgs(['--port'])).toThrow(/needs a value/);
    expect(parseHostArgs(['--', '--port', '3201', '--autostart'])).toMatchObject({ port: 3201, autoStart: true });
  });
});
