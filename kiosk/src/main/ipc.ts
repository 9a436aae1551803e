/**
 * One table of channel handlers, filled by the setupX() modules, served two ways: over Electron IPC
 * (registerIpcHandlers, below: every message's sender frame is checked first) and over the browser-mode
 * host's HTTP API (host/server.ts). Nothing here needs Electron at run time: its types only.
 */
import type { IpcMainInvokeEvent } from 'electron';
import type { Envelope, EventChannel, EventChannels, InvokeArgs, InvokeChannel, InvokeResult } from '../ipc-contract.js';
import { INVOKE_CHANNELS } from '../ipc-contract.js';
import { KioskError, toErrorBody } from '../shared/kiosk-error.js';

export type ChannelHandler<C extends InvokeChannel> = (...args: InvokeArgs<C>) => Promise<InvokeResult<C>> | InvokeResult<C>;

/** What a setupX() module registers into. */
export interface ChannelRegistrar {
  handle<C extends InvokeChannel>(channel: C, handler: ChannelHandler<C>): void;
  emit<E extends EventChannel>(event: E, payload: EventChannels[E]): void;
}

export type EventListener = <E extends EventChannel>(event: E, payload: EventChannels[E]) => void;

export class ChannelTable implements ChannelRegistrar {
  private readonly handlers = new Map<InvokeChannel, (...args: unknown[]) => unknown>();
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  handle<C extends InvokeChannel>(channel: C, handler: ChannelHandler<C>): void {
    if (this.handlers.has(channel)) throw new Error(`channel ${channel} registered twice`);
    this.handlers.set(channel, handler as (...args: unknown[]) => unknown);
  }

  emit<E extends EventChannel>(event: E, payload: EventChannels[E]): void {
    for (const l of [...this.listeners]) {
      try {
        l(event, payload);
      } catch (err) {
        this.log(`event ${event} listener failed: ${String(err)}`);
      }
    }
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  has(channel: string): channel is InvokeChannel {
    return this.handlers.has(channel as InvokeChannel);
  }

  /** Channels of the contract nobody handles (a wiring test checks this is empty). */
  missing(): InvokeChannel[] {
    return INVOKE_CHANNELS.filter((c) => !this.handlers.has(c));
  }

  /** Runs a handler; never throws: failures come back as `{ok:false, error}`. */
  async invoke(channel: string, args: unknown[]): Promise<Envelope<unknown>> {
    const handler = this.handlers.get(channel as InvokeChannel);
    if (!handler) return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `no channel ${channel}` } };
    try {
      return { ok: true, value: await handler(...args) };
    } catch (err) {
      const body = toErrorBody(err);
      if (body.code === 'INTERNAL')
        this.log(`channel ${channel} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return { ok: false, error: body };
    }
  }
}

/** The app's own origin. Custom schemes such as `app:` have URL.origin "null", so scheme and host are compared. */
export interface TrustedOrigin {
  protocol: string;
  host: string;
}

/** Whether a URL belongs to the app's own origin (no credentials, same scheme and host:port). */
export function isTrustedUrl(url: string | null | undefined, trusted: TrustedOrigin): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === trusted.protocol && parsed.host === trusted.host && parsed.username === '' && parsed.password === '';
}

type SenderEvent = Pick<IpcMainInvokeEvent, 'senderFrame'>;

/** The message came from the app's own page: the top frame (the app has no iframes) at the app's origin. */
export function isTrustedSender(event: SenderEvent, trusted: TrustedOrigin): boolean {
  const frame = event.senderFrame;
  if (!frame) return false; // the frame navigated away or was destroyed before the message was handled
  if (frame.parent !== null) return false;
  return isTrustedUrl(frame.url, trusted);
}

/** The part of ipcMain used here (a fake in tests). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/**
 * Registers one IPC handler behind the sender check: a message from any other frame or origin gets
 * UNTRUSTED_SENDER and the handler never runs.
 */
export function handleTrusted(
  ipcMain: IpcMainLike,
  channel: string,
  trusted: TrustedOrigin,
  handler: (...args: unknown[]) => Promise<Envelope<unknown>>,
  log: (line: string) => void = () => undefined,
): void {
  ipcMain.handle(channel, (event, ...args) => {
    if (!isTrustedSender(event, trusted)) {
      log(`rejected ${channel} from untrusted sender ${event.senderFrame?.url ?? '(no frame)'}`);
      const error = new KioskError('UNTRUSTED_SENDER', `${channel} refused: sender is not ${trusted.protocol}//${trusted.host}`);
      return { ok: false, error: error.toBody() } satisfies Envelope<never>;
    }
    return handler(...args);
  });
}

/** Every channel of the table, over IPC. Returns a function that removes them (window closed, tests). */
export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  table: ChannelTable,
  trusted: TrustedOrigin,
  log?: (line: string) => void,
): () => void {
  const missing = table.missing();
  if (missing.length > 0) throw new Error(`channels without a handler: ${missing.join(', ')}`);
  for (const channel of INVOKE_CHANNELS) {
    handleTrusted(ipcMain, channel, trusted, (...args) => table.invoke(channel, args), log);
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** The part of webContents events are sent through. */
export interface EventSink {
  isDestroyed(): boolean;
  send(channel: string, payload: unknown): void;
}

/** Table events → the window's renderer (only the app's own page ever listens: the preload). */
export function forwardEvents(table: ChannelTable, sink: () => EventSink | null): () => void {
  return table.onEvent((event, payload) => {
    const target = sink();
    if (target && !target.isDestroyed()) target.send(event, payload);
  });
}
