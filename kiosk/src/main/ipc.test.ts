import type { IpcMainInvokeEvent } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { INVOKE_CHANNELS } from '../ipc-contract.js';
import { KioskError } from '../shared/kiosk-error.js';
import { PosApiError } from '../shared/pos-api.js';
import { ChannelTable, forwardEvents, handleTrusted, isTrustedUrl, registerIpcHandlers } from './ipc.js';
import type { IpcMainLike } from './ipc.js';
import { APP_ORIGIN } from './window.js';

type Listener = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

function fakeIpcMain(): IpcMainLike & { handlers: Map<string, Listener> } {
  const handlers = new Map<string, Listener>();
  return {
    handlers,
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => {
      handlers.delete(channel);
    },
  };
}

function eventFrom(url: string | null, options: { subframe?: boolean } = {}): IpcMainInvokeEvent {
  const senderFrame = url === null ? null : { url, parent: options.subframe ? { url: 'app://kiosk/index.html' } : null };
  return { senderFrame } as unknown as IpcMainInvokeEvent;
}

function fullTable(): ChannelTable {
  const table = new ChannelTable();
  for (const channel of INVOKE_CHANNELS) table.handle(channel, (() => `handled ${channel}`) as never);
  return table;
}

describe('the app origin check', () => {
  it('accepts the app’s own pages only', () => {
    expect(isTrustedUrl('app://kiosk/index.html', APP_ORIGIN)).toBe(true);
    expect(isTrustedUrl('app://kiosk/', APP_ORIGIN)).toBe(true);
    for (const url of [
      'https://evil.example/',
      'app://kiosk.evil.example/index.html',
      'app://evil/index.html',
      'app://user:pass@kiosk/index.html',
      'file:///work/main/kiosk/dist/renderer/index.html',
      'http://127.0.0.1:3200/',
      'about:blank',
      'not a url',
      '',
      null,
    ]) {
      expect(isTrustedUrl(url, APP_ORIGIN), String(url)).toBe(false);
    }
  });
});

describe('IPC registration wrapper', () => {
  it('rejects a message from an untrusted sender without running the handler', async () => {
    const ipc = fakeIpcMain();
    const handler = vi.fn(async () => ({ ok: true as const, value: 'drawer opened' }));
    const log = vi.fn();
    handleTrusted(ipc, 'drawer:open', APP_ORIGIN, handler, log);
    const listener = ipc.handlers.get('drawer:open');
    if (!listener) throw new Error('not registered');

    for (const event of [
      eventFrom('https://evil.example/page'),
      eventFrom('app://kiosk.evil.example/index.html'),
      eventFrom('app://kiosk/index.html', { subframe: true }),
      eventFrom(null),
    ]) {
      expect(await listener(event)).toEqual({
        ok: false,
        error: { code: 'UNTRUSTED_SENDER', message: expect.stringContaining('drawer:open') },
      });
    }
    expect(handler).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledTimes(4);

    expect(await listener(eventFrom('app://kiosk/index.html'), 'arg')).toEqual({ ok: true, value: 'drawer opened' });
    expect(handler).toHaveBeenCalledWith('arg');
  });

  it('registers every channel of the contract, each behind the sender check', async () => {
    const ipc = fakeIpcMain();
    const unregister = registerIpcHandlers(ipc, fullTable(), APP_ORIGIN);
    expect([...ipc.handlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    for (const [channel, listener] of ipc.handlers) {
      expect(await listener(eventFrom('https://evil.example/'))).toMatchObject({ ok: false, error: { code: 'UNTRUSTED_SENDER' } });
      expect(await listener(eventFrom('app://kiosk/index.html'))).toEqual({ ok: true, value: `handled ${channel}` });
    }
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });

  it('refuses to start when a channel has no handler', () => {
    const table = new ChannelTable();
    table.handle('config:get', () => ({}) as never);
    expect(() => registerIpcHandlers(fakeIpcMain(), table, APP_ORIGIN)).toThrow(/without a handler: .*config:set/);
  });
});

describe('the channel table', () => {
  it('carries errors as data: kiosk and server codes kept, anything else INTERNAL', async () => {
    const table = new ChannelTable();
    table.handle('pos:checkout', () => {
      throw new KioskError('OFFLINE_WECHAT', 'needs the server');
    });
    table.handle('pos:refund', () => {
      throw new PosApiError('REFUND_EXCEEDS_ORDER', 'too much', { status: 409 });
    });
    table.handle('pos:reprint', () => {
      throw new Error('boom');
    });
    table.handle('config:get', async () => ({ hasToken: true }) as never);
    expect(await table.invoke('pos:checkout', [])).toEqual({ ok: false, error: { code: 'OFFLINE_WECHAT', message: 'needs the server' } });
    expect(await table.invoke('pos:refund', [])).toEqual({ ok: false, error: { code: 'REFUND_EXCEEDS_ORDER', message: 'too much' } });
    expect(await table.invoke('pos:reprint', [])).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'boom' } });
    expect(await table.invoke('config:get', [])).toEqual({ ok: true, value: { hasToken: true } });
    expect(await table.invoke('shell:exec', ['rm -rf /'])).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(() => table.handle('config:get', () => ({}) as never)).toThrow(/twice/);
  });

  it('forwards events to the window while it exists', () => {
    const table = new ChannelTable();
    const send = vi.fn();
    let destroyed = false;
    const stop = forwardEvents(table, () => ({ isDestroyed: () => destroyed, send }));
    table.emit('queue:onStatus', { online: false, pending: 2, rejected: 0, draining: false, lastError: null, lastSyncAt: null });
    expect(send).toHaveBeenCalledWith('queue:onStatus', expect.objectContaining({ pending: 2 }));
    destroyed = true;
    table.emit('scanner:onScan', { code: '6901234567892', source: 'serial' });
    expect(send).toHaveBeenCalledTimes(1);
    stop();
  });
});
