import { describe, expect, it } from 'vitest';
import {
  chineseModeOn,
  decodeStatus,
  decodeStatusByte,
  drawerKick,
  init,
  isStatusByte,
  nativeQr,
  notReadyReason,
  statusQuery,
} from './escpos.js';

const bytes = (u: Uint8Array): number[] => [...u];

describe('raw ESC/POS commands', () => {
  it('initialises and switches Chinese mode on with FS &', () => {
    expect(bytes(init())).toEqual([0x1b, 0x40]);
    expect(bytes(chineseModeOn())).toEqual([0x1c, 0x26]);
  });

  it('kicks the drawer on pin 2 with 1B 70 00 19 FA by default', () => {
    expect(bytes(drawerKick())).toEqual([0x1b, 0x70, 0x00, 0x19, 0xfa]);
    expect(bytes(drawerKick({ pin: 5, onMs: 100, offMs: 500 }))).toEqual([0x1b, 0x70, 0x01, 50, 250]);
  });

  it('refuses pulses that would overheat the solenoid or do not fit a byte', () => {
    expect(() => drawerKick({ onMs: 200, offMs: 200 })).toThrow(/duty cycle/);
    expect(() => drawerKick({ onMs: 50, offMs: 600 })).toThrow(/out of range/);
  });

  it('builds DLE EOT n queries', () => {
    expect(bytes(statusQuery(1))).toEqual([0x10, 0x04, 0x01]);
    expect(bytes(statusQuery(4))).toEqual([0x10, 0x04, 0x04]);
  });

  it('builds a native QR whose store length counts the payload plus 3', () => {
    const qr = nativeQr(new TextEncoder().encode('JFR1.x'), { moduleSize: 5, level: 'M' });
    const store = [0x1d, 0x28, 0x6b, 9, 0, 0x31, 0x50, 0x30, ...new TextEncoder().encode('JFR1.x')];
    const hex = Buffer.from(qr).toString('hex');
    expect(hex).toContain(Buffer.from(store).toString('hex'));
    expect(hex.endsWith('1d286b03003151' + '30')).toBe(true);
    expect(hex).toContain('1d286b030031430' + '5');
  });
});

describe('status bytes', () => {
  it('recognises the fixed bits of a DLE EOT reply', () => {
    expect(isStatusByte(0x12)).toBe(true);
    expect(isStatusByte(0x72)).toBe(true);
    expect(isStatusByte(0x00)).toBe(false);
    expect(isStatusByte(0x0f)).toBe(false);
    expect(() => decodeStatusByte(1, 0x00)).toThrow(RangeError);
  });

  it('decodes each query per the manuals', () => {
    expect(decodeStatusByte(1, 0x12)).toEqual({ online: true });
    expect(decodeStatusByte(1, 0x1a)).toEqual({ online: false });
    expect(decodeStatusByte(2, 0x16)).toEqual({ coverOpen: true, paperOut: false, error: false });
    expect(decodeStatusByte(2, 0x32)).toEqual({ coverOpen: false, paperOut: true, error: false });
    expect(decodeStatusByte(2, 0x52)).toEqual({ coverOpen: false, paperOut: false, error: true });
    expect(decodeStatusByte(4, 0x1e)).toEqual({ paperNearEnd: true, paperOut: false });
    expect(decodeStatusByte(4, 0x72)).toEqual({ paperNearEnd: false, paperOut: true });
  });

  it('combines the replies and names the reason a job must wait', () => {
    const healthy = decodeStatus({ 1: 0x12, 2: 0x12, 4: 0x12 });
    expect(healthy).toEqual({ online: true, coverOpen: false, paperOut: false, paperNearEnd: false, error: false });
    expect(notReadyReason(healthy)).toBeNull();
    expect(notReadyReason(decodeStatus({ 1: 0x1a, 2: 0x32, 4: 0x72 }))).toBe('paper_out');
    expect(notReadyReason(decodeStatus({ 1: 0x1a, 2: 0x16, 4: 0x12 }))).toBe('cover_open');
    expect(notReadyReason(decodeStatus({ 1: 0x1a }))).toBe('offline');
    expect(notReadyReason(decodeStatus({ 1: 0x12, 4: 0x1e }))).toBeNull();
    expect(decodeStatus({ 1: 0x12, 4: 0x1e }).paperNearEnd).toBe(true);
  });
});
