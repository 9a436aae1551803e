import { describe, expect, it, vi } from 'vitest';

const mock = vi.hoisted(() => {
  const listeners = new Map<string, ((event: unknown, payload: unknown) => void)[]>();
  const ipcRenderer = {
    invoke: vi.fn(async (channel: string, ...args: unknown[]) => ({ ok: true, value: { channel, args } })),
    send: vi.fn(),
    sendSync: vi.fn(),
    on: vi.fn((channel: string, l: (event: unknown, payload: unknown) => void) => {
      listeners.set(channel, [...(listeners.get(channel) ?? []), l]);
    }),
    removeListener: vi.fn((channel: string, l: (event: unknown, payload: unknown) => void) => {
      listeners.set(
        channel,
        (listeners.get(channel) ?? []).filter((x) => x !== l),
      );
    }),
  };
  const exposed: Record<string, unknown> = {};
  const contextBridge = {
    exposeInMainWorld: vi.fn((key: string, api: unknown) => {
      exposed[key] = api;
    }),
  };
  return { ipcRenderer, contextBridge, exposed, listeners };
});

vi.mock('electron', () => ({ ipcRenderer: mock.ipcRenderer, contextBridge: mock.contextBridge }));

await import('./preload.js');
const { BRIDGE_GLOBAL, eventNames, invokeNames } = await import('../ipc-contract.js');

describe('the preload', () => {
  it('exposes one object of named functions only: one per channel and event, nothing else', () => {
    expect(mock.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect(mock.contextBridge.exposeInMainWorld.mock.calls[0]?.[0]).toBe(BRIDGE_GLOBAL);
    const api = mock.exposed[BRIDGE_GLOBAL] as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...Object.keys(invokeNames), ...Object.keys(eventNames)].sort());
    for (const [name, value] of Object.entries(api)) expect(typeof value, name).toBe('function');
    // ipcRenderer itself, or any generic invoke/send, is never handed to the page.
    expect(Object.values(api)).not.toContain(mock.ipcRenderer);
    for (const forbidden of ['invoke', 'send', 'sendSync', 'on', 'ipcRenderer', 'require']) expect(api).not.toHaveProperty(forbidden);
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('each function invokes its own channel with the arguments given', async () => {
    const api = mock.exposed[BRIDGE_GLOBAL] as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const checkout = api.checkout;
    const openDrawer = api.openDrawer;
    if (!checkout || !openDrawer) throw new Error('missing');
    await checkout({ clientOrderId: 'sale-0001' });
    expect(mock.ipcRenderer.invoke).toHaveBeenLastCalledWith('pos:checkout', { clientOrderId: 'sale-0001' });
    await openDrawer();
    expect(mock.ipcRenderer.invoke).toHaveBeenLastCalledWith('drawer:open');
    for (const [name, channel] of Object.entries(invokeNames)) {
      await api[name]?.('x');
      expect(mock.ipcRenderer.invoke).toHaveBeenLastCalledWith(channel, 'x');
    }
  });

  it('event subscriptions pass the payload only (never the IPC event) and can be removed', () => {
    const api = mock.exposed[BRIDGE_GLOBAL] as Record<string, (l: (p: unknown) => void) => () => void>;
    const got: unknown[] = [];
    const unsubscribe = api.onScan?.((payload) => got.push(payload));
    const fire = (payload: unknown): void => {
      for (const l of mock.listeners.get('scanner:onScan') ?? []) l({ sender: { secret: true } }, payload);
    };
    fire({ code: '6901234567892', source: 'serial' });
    expect(got).toEqual([{ code: '6901234567892', source: 'serial' }]);
    unsubscribe?.();
    fire({ code: 'again', source: 'serial' });
    expect(got).toHaveLength(1);
    expect(() => api.onQueueStatus?.('not a function' as never)).toThrow(TypeError);
  });
});
