/**
 * The preload: the renderer's only door to the device side. It exposes `window.jifenKiosk` with one
 * named function per channel of the contract (ipc-contract.ts) and one subscription per event; never
 * ipcRenderer itself, never a generic "invoke any channel" function, and listeners receive the payload
 * only (not the IPC event, which would hand the page `sender`).
 *
 * Bundled to one CommonJS file (sandboxed preloads cannot load ES modules): see host/build-ui.ts.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL, eventNames, invokeNames } from '../ipc-contract.js';
import type { KioskBridge } from '../ipc-contract.js';

type IpcRendererLike = {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: IpcRendererEvent, payload: unknown) => void): unknown;
};

export function buildBridge(ipc: IpcRendererLike): KioskBridge {
  const bridge: Record<string, unknown> = {};
  for (const [name, channel] of Object.entries(invokeNames)) {
    bridge[name] = (...args: unknown[]) => ipc.invoke(channel, ...args);
  }
  for (const [name, channel] of Object.entries(eventNames)) {
    bridge[name] = (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError(`${name} needs a function`);
      const wrapped = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
      ipc.on(channel, wrapped);
      return () => {
        ipc.removeListener(channel, wrapped);
      };
    };
  }
  return Object.freeze(bridge) as KioskBridge;
}

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, buildBridge(ipcRenderer));
