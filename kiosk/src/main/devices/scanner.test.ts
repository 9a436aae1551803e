import { MockBinding } from '@serialport/binding-mock';
import type { MockPortBinding } from '@serialport/binding-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createLineSplitter, createWedgeDetector, openSerialScanner } from './scanner.js';
import type { WedgeDetector } from './scanner.js';

/** Manual clock: timers fire only when `advance` passes them. */
function manualTimers() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  return {
    setTimer: (fn: () => void, ms: number): unknown => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimer: (id: unknown): void => {
      timers = timers.filter((t) => t.id !== id);
    },
    /** Moves time to `to`, firing due timers in order. */
    advanceTo(to: number): void {
      for (;;) {
        const due = timers.filter((t) => t.at <= to).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = due.at;
        timers = timers.filter((t) => t !== due);
        due.fn();
      }
      now = to;
    },
  };
}

/** Types `keys` starting at `start`, `gap` ms apart; returns each key's swallow decision. */
function type(detector: WedgeDetector, clock: ReturnType<typeof manualTimers>, keys: string[], start: number, gap: number): boolean[] {
  return keys.map((key, i) => {
    const t = start + i * gap;
    clock.advanceTo(t);
    return detector.handleKey({ key, timeStamp: t }).swallow;
  });
}

function setup() {
  const clock = manualTimers();
  const detector = createWedgeDetector({
    maxInterKeyMs: 50,
    minLength: 6,
    terminators: ['Enter', 'Tab'],
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
  });
  const scans: string[] = [];
  const typed: string[][] = [];
  detector.onScan((c) => scans.push(c));
  detector.onTyping((k) => typed.push(k));
  return { clock, detector, scans, typed };
}

describe('keyboard-wedge detector', () => {
  it('turns a 10 ms burst ending in Enter into one scan and swallows every key, Enter included', () => {
    const { clock, detector, scans, typed } = setup();
    const swallowed = type(detector, clock, [...'6901234567892', 'Enter'], 1000, 10);
    expect(scans).toEqual(['6901234567892']);
    expect(swallowed.every(Boolean)).toBe(true);
    clock.advanceTo(5000);
    expect(typed).toEqual([]);
  });

  it('passes slow typing through (each key given back, in order, no scan)', () => {
    const { clock, detector, scans, typed } = setup();
    type(detector, clock, [...'138001'], 1000, 80);
    clock.advanceTo(2000);
    expect(scans).toEqual([]);
    expect(typed.flat().join('')).toBe('138001');
    // ...and an Enter after typing is a normal Enter
    expect(detector.handleKey({ key: 'Enter', timeStamp: 2100 }).swallow).toBe(false);
  });

  it('gives a typed key back no later than the flush timeout', () => {
    const { clock, detector, typed } = setup();
    type(detector, clock, ['5'], 1000, 0);
    clock.advanceTo(1099);
    expect(typed).toEqual([]);
    clock.advanceTo(1100);
    expect(typed).toEqual([['5']]);
  });

  it('flushes a fast burst without a terminator as typing after the timeout', () => {
    const { clock, detector, scans, typed } = setup();
    type(detector, clock, [...'ABCDEFGH'], 1000, 10);
    expect(typed).toEqual([]);
    clock.advanceTo(1070 + 100);
    expect(scans).toEqual([]);
    expect(typed).toEqual([[...'ABCDEFGH']]);
  });

  it('treats a short burst ending in Enter as typing and lets the Enter through', () => {
    const { clock, detector, scans, typed } = setup();
    const swallowed = type(detector, clock, [...'12', 'Enter'], 1000, 10);
    expect(swallowed).toEqual([true, true, false]);
    expect(typed).toEqual([['1', '2']]);
    expect(scans).toEqual([]);
  });

  it('keeps typing and a scan right after it apart', () => {
    const { clock, detector, scans, typed } = setup();
    type(detector, clock, [...'ab'], 1000, 80);
    type(detector, clock, [...'JFM1.xyz', 'Tab'], 1200, 8);
    expect(typed.flat()).toEqual(['a', 'b']);
    expect(scans).toEqual(['JFM1.xyz']);
  });

  it('ignores Shift inside a scan (capitals) and releases held keys before Backspace', () => {
    const { clock, detector, scans, typed } = setup();
    const swallowed = type(detector, clock, ['J', 'Shift', 'F', 'M', '1', '.', 'Shift', 'Q', 'Enter'], 1000, 5);
    expect(swallowed.every(Boolean)).toBe(true);
    expect(scans).toEqual(['JFM1.Q']);
    type(detector, clock, ['7'], 2000, 0);
    expect(detector.handleKey({ key: 'Backspace', timeStamp: 2010 }).swallow).toBe(false);
    expect(typed).toEqual([['7']]);
  });

  it('stays out of the way of an IME', () => {
    const { detector } = setup();
    expect(detector.handleKey({ key: 'Process', timeStamp: 1, isComposing: true }).swallow).toBe(false);
  });

  it('needs the whole burst within maxInterKeyMs', () => {
    const { clock, detector, scans } = setup();
    type(detector, clock, [...'123456'], 1000, 10);
    // 60 ms pause before Enter: not the scanner
    clock.advanceTo(1110);
    expect(detector.handleKey({ key: 'Enter', timeStamp: 1110 }).swallow).toBe(false);
    expect(scans).toEqual([]);
  });
});

describe('serial scanner', () => {
  afterEach(() => MockBinding.reset());

  it('splits CR, LF and CR LF (also across chunks) and drops empty lines', () => {
    const lines: string[] = [];
    const push = createLineSplitter((l) => lines.push(l));
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    push(enc('JFM1.a\r'));
    push(enc('\n6901234567892\r\r\nabc'));
    push(enc('\n\n'));
    expect(lines).toEqual(['JFM1.a', '6901234567892', 'abc']);
  });

  it('reads codes from a serial port (MockBinding)', async () => {
    MockBinding.createPort('/dev/ttyACM0', { echo: false, record: false });
    const opened: MockPortBinding[] = [];
    const binding: typeof MockBinding = {
      ...MockBinding,
      async open(options: Parameters<typeof MockBinding.open>[0]) {
        const port = await MockBinding.open(options);
        opened.push(port);
        return port;
      },
    };
    const scanner = await openSerialScanner({ path: '/dev/ttyACM0', binding });
    const scans: string[] = [];
    scanner.onScan((c) => scans.push(c));
    opened[0]?.emitData('134567890123456789\r');
    opened[0]?.emitData('6901234567892\r\n6901234567892\r\n');
    await new Promise((r) => setTimeout(r, 30));
    expect(scans).toEqual(['134567890123456789', '6901234567892', '6901234567892']);
    await scanner.close();
  });

  it('can drop repeated reads from a scanner in continuous mode', async () => {
    MockBinding.createPort('/dev/ttyACM1', { echo: false, record: false });
    const opened: MockPortBinding[] = [];
    const binding: typeof MockBinding = {
      ...MockBinding,
      async open(options: Parameters<typeof MockBinding.open>[0]) {
        const port = await MockBinding.open(options);
        opened.push(port);
        return port;
      },
    };
    let now = 0;
    const scanner = await openSerialScanner({ path: '/dev/ttyACM1', binding, repeatWithinMs: 1000, now: () => now });
    const scans: string[] = [];
    scanner.onScan((c) => scans.push(c));
    opened[0]?.emitData('A1\r');
    await new Promise((r) => setTimeout(r, 10));
    now = 500;
    opened[0]?.emitData('A1\r');
    await new Promise((r) => setTimeout(r, 10));
    now = 1600;
    opened[0]?.emitData('A1\r');
    await new Promise((r) => setTimeout(r, 10));
    expect(scans).toEqual(['A1', 'A1']);
    await scanner.close();
  });
});
