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
    // Staff and the catalogue are the server's: the flags of the interim mode are refused with a reason.
    expect(() => parseHostArgs(['--staff', 'li:5678:李四'])).toThrow(/server/);
    expect(() => parseHostArgs(['--no-interim'])).toThrow(UsageError);
  });

  it('scanner, paper and printer forms', () => {
    expect(parseHostArgs(['--scanner', 'serial:/dev/ttyACM0?baud=115200', '--paper', '58', '--printer', 'none']).configOverrides).toEqual({
      scanner: { mode: 'serial', serialPath: '/dev/ttyACM0', baudRate: 115200 },
      paper: '58mm',
      printerUri: '',
    });
    expect(() => parseHostArgs(['--paper', '76mm'])).toThrow(UsageError);
    expect(() => parseHostArgs(['--bogus'])).toThrow(UsageError);
    expect(() => parseHostArgs(['--port'])).toThrow(/needs a value/);
    expect(parseHostArgs(['--', '--port', '3201', '--autostart'])).toMatchObject({ port: 3201, autoStart: true });
  });
});
