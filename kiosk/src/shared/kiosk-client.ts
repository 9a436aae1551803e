/**
 * The renderer's view of the device side: the preload's bridge (Electron) or the same bridge over the
 * host's HTTP API (browser mode), unwrapped into plain promises that reject with KioskClientError.
 * Screens use only `KioskClient`; tests hand them a mock of it.
 */
import type {
  Envelope,
  EventChannels,
  EventName,
  InvokeArgs,
  InvokeName,
  InvokeResult,
  KioskBridge,
  KioskErrorCode,
} from '../ipc-contract.js';
import { BRIDGE_GLOBAL, eventNames, HOST_API, HOST_CLIENT_HEADER, invokeNames } from '../ipc-contract.js';

export type KioskClient = {
  [N in InvokeName]: (...args: InvokeArgs<(typeof invokeNames)[N]>) => Promise<InvokeResult<(typeof invokeNames)[N]>>;
} & {
  [N in EventName]: (listener: (payload: EventChannels[(typeof eventNames)[N]]) => void) => () => void;
};

export class KioskClientError extends Error {
  constructor(
    readonly code: KioskErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KioskClientError';
  }
}

export function errorCode(err: unknown): string {
  return err instanceof KioskClientError ? err.code : 'INTERNAL';
}

export function createKioskClient(bridge: KioskBridge): KioskClient {
  const client: Record<string, unknown> = {};
  for (const name of Object.keys(invokeNames) as InvokeName[]) {
    const call = bridge[name] as (...args: unknown[]) => Promise<Envelope<unknown>>;
    client[name] = async (...args: unknown[]) => {
      const envelope = await call(...args);
      if (envelope.ok) return envelope.value;
      throw new KioskClientError(envelope.error.code, envelope.error.message);
    };
  }
  for (const name of Object.keys(eventNames) as EventName[]) client[name] = bridge[name];
  return client as KioskClient;
}

type EventSourceLike = Pick<EventSource, 'addEventListener' | 'close'>;

export interface HttpBridgeOptions {
  /** Default '' (same origin). */
  base?: string;
  fetch?: typeof fetch;
  eventSource?: (url: string) => EventSourceLike;
}

/** The bridge over the host's HTTP API: what the preload is in Electron, for an ordinary browser. */
export function createHttpBridge(options: HttpBridgeOptions = {}): KioskBridge {
  const base = options.base ?? '';
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
  const openEvents = options.eventSource ?? ((url: string) => new EventSource(url));
  let source: EventSourceLike | null = null;
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  const subscribe = (event: string, listener: (payload: unknown) => void): (() => void) => {
    if (!source) source = openEvents(`${base}${HOST_API}/events`);
    let set = listeners.get(event);
    if (!set) {
      const fresh = new Set<(payload: unknown) => void>();
      listeners.set(event, fresh);
      set = fresh;
      source.addEventListener(event, (e: Event) => {
        let payload: unknown;
        try {
          payload = JSON.parse((e as Event & { data: string }).data);
        } catch {
          return;
        }
        for (const l of [...fresh]) l(payload);
      });
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  };

  const bridge: Record<string, unknown> = {};
  for (const [name, channel] of Object.entries(invokeNames)) {
    bridge[name] = async (...args: unknown[]): Promise<Envelope<unknown>> => {
      let response: Response;
      try {
        response = await doFetch(`${base}${HOST_API}/invoke/${encodeURIComponent(channel)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [HOST_CLIENT_HEADER]: '1' },
          body: JSON.stringify({ args }),
        });
      } catch (err) {
        return { ok: false, error: { code: 'NETWORK', message: `kiosk host unreachable: ${String(err)}` } };
      }
      try {
        return (await response.json()) as Envelope<unknown>;
      } catch {
        return { ok: false, error: { code: 'BAD_RESPONSE', message: `kiosk host answered ${response.status}` } };
      }
    };
  }
  for (const [name, event] of Object.entries(eventNames)) {
    bridge[name] = (listener: (payload: unknown) => void) => subscribe(event, listener);
  }
  return bridge as KioskBridge;
}

/** Electron's preload bridge when there is one, else the browser-mode host's HTTP API. */
export function detectBridge(win: object): KioskBridge {
  const exposed = (win as Record<string, unknown>)[BRIDGE_GLOBAL];
  return exposed ? (exposed as KioskBridge) : createHttpBridge();
}
