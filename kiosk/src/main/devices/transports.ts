/**
 * How bytes reach a receipt printer, chosen from a URI:
 *   tcp://192.168.1.50:9100          network printer, raw port; status replies on the same socket
 *   file:/dev/usb/lp0                Linux usblp device (or a plain file, for capturing output)
 *   serial:/dev/ttyUSB0?baud=9600    serial / USB-CDC printer
 * Every transport serialises its operations: a status query never interleaves with a job's bytes.
 */
import { constants as fsConstants } from 'node:fs';
import { open as openFile, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import net from 'node:net';
import { isStatusByte, statusQuery } from './escpos.js';
import type { StatusQuery } from './escpos.js';
import { openSerialPort } from './serial-port.js';
import type { SerialBinding, SerialPortHandle } from './serial-port.js';

export type StatusReply =
  /** The printer answered. */
  | { kind: 'byte'; byte: number }
  /** Nothing (valid) came back in time: a printer that ignores DLE EOT, or one that is gone. */
  | { kind: 'timeout' }
  /** This connection cannot read from the printer (a write-only device or a plain file). */
  | { kind: 'unsupported' };

export interface PrinterTransport {
  readonly uri: string;
  /** Resolves once the bytes are handed to the OS (socket, device or port). */
  write(bytes: Uint8Array): Promise<void>;
  /** Sends `DLE EOT n` and waits for the one-byte reply. */
  queryStatus(n: StatusQuery, timeoutMs?: number): Promise<StatusReply>;
  close(): Promise<void>;
}

export type TransportErrorCode = 'invalid_uri' | 'connect_timeout' | 'connect_failed' | 'write_failed' | 'write_timeout' | 'closed';

/** Thrown by transports; `code` is stable, `message` is for logs. */
export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export interface TransportOptions {
  /** TCP connect / serial open limit. Default 3000 ms. */
  connectTimeoutMs?: number;
  /** Default wait for a status reply. Default 1000 ms. */
  replyTimeoutMs?: number;
  /** Limit for one write to be accepted (a stalled printer stops reading). Default 15000 ms. */
  writeTimeoutMs?: number;
  /**
   * TCP: close the connection after this much inactivity, because some network printers accept only
   * one connection at a time. Default 5000 ms; 0 keeps it open.
   */
  idleCloseMs?: number;
  /** Serial: the serialport binding, e.g. MockBinding in tests. Default: the platform binding. */
  serialBinding?: SerialBinding;
}

export type PrinterAddress =
  { kind: 'tcp'; host: string; port: number } | { kind: 'file'; path: string } | { kind: 'serial'; path: string; baudRate: number };

/** Parses a printer URI; throws TransportError('invalid_uri'). */
export function parsePrinterUri(uri: string): PrinterAddress {
  let url: URL;
  try {
    url = new URL(uri);
  } catch (cause) {
    throw new TransportError('invalid_uri', `not a printer URI: ${uri}`, { cause });
  }
  switch (url.protocol) {
    case 'tcp:': {
      const port = url.port === '' ? 9100 : Number(url.port);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!host) throw new TransportError('invalid_uri', `missing host in ${uri}`);
      return { kind: 'tcp', host, port };
    }
    case 'file:': {
      const path = decodeURIComponent(url.pathname);
      if (!path || path === '/') throw new TransportError('invalid_uri', `missing path in ${uri}`);
      return { kind: 'file', path };
    }
    case 'serial:': {
      const path = decodeURIComponent(url.pathname || url.host);
      const baud = url.searchParams.get('baud') ?? url.searchParams.get('baudRate') ?? '9600';
      const baudRate = Number(baud);
      if (!path) throw new TransportError('invalid_uri', `missing port in ${uri}`);
      if (!Number.isInteger(baudRate) || baudRate <= 0) throw new TransportError('invalid_uri', `bad baud rate in ${uri}`);
      return { kind: 'serial', path, baudRate };
    }
    default:
      throw new TransportError('invalid_uri', `unsupported printer URI scheme ${url.protocol} (tcp:, file:, serial:)`);
  }
}

/** A transport for the URI. Nothing is opened until the first operation. */
export function openTransport(uri: string, options: TransportOptions = {}): PrinterTransport {
  const address = parsePrinterUri(uri);
  switch (address.kind) {
    case 'tcp':
      return new TcpTransport(uri, address.host, address.port, options);
    case 'file':
      return new FileTransport(uri, address.path, options);
    case 'serial':
      return new SerialTransport(uri, address.path, address.baudRate, options);
  }
}

/** Runs operations one at a time. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op, op);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Bytes the printer sent back. A status query first discards whatever is buffered: a late reply to
 * an earlier timed-out query, or a `GS r` answer, must not be read as this query's reply.
 */
class ReplyBuffer {
  private bytes: number[] = [];
  private wake: (() => void) | null = null;

  push(data: Uint8Array): void {
    this.bytes.push(...data);
    this.wake?.();
  }

  clear(): void {
    this.bytes = [];
  }

  /** The next byte that looks like a status reply, or null after `timeoutMs`. */
  async nextStatusByte(timeoutMs: number): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.bytes.length > 0) {
        const b = this.bytes.shift() as number;
        if (isStatusByte(b)) return b;
      }
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = null;
    }
  }
}

class TcpTransport implements PrinterTransport {
  private socket: net.Socket | null = null;
  private readonly queue = new Queue();
  private readonly replies = new ReplyBuffer();
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly uri: string,
    private readonly host: string,
    private readonly port: number,
    private readonly options: TransportOptions,
  ) {}

  write(bytes: Uint8Array): Promise<void> {
    return this.queue.run(async () => {
      const socket = await this.connected();
      const limit = this.options.writeTimeoutMs ?? 15_000;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new TransportError('write_timeout', `printer ${this.uri} did not accept ${bytes.byteLength} bytes in ${limit} ms`));
        }, limit);
        socket.write(bytes, (err) => {
          clearTimeout(timer);
          if (err) reject(new TransportError('write_failed', `write to ${this.uri} failed: ${err.message}`, { cause: err }));
          else resolve();
        });
      });
      this.scheduleIdleClose();
    });
  }

  queryStatus(n: StatusQuery, timeoutMs?: number): Promise<StatusReply> {
    return this.queue.run(async () => {
      const socket = await this.connected();
      this.replies.clear();
      socket.write(statusQuery(n));
      const byte = await this.replies.nextStatusByte(timeoutMs ?? this.options.replyTimeoutMs ?? 1000);
      this.scheduleIdleClose();
      return byte === null ? { kind: 'timeout' } : { kind: 'byte', byte };
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return this.queue.run(() => this.disconnect());
  }

  private async connected(): Promise<net.Socket> {
    if (this.closed) throw new TransportError('closed', `transport ${this.uri} is closed`);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.socket && !this.socket.destroyed && this.socket.writable) return this.socket;
    const limit = this.options.connectTimeoutMs ?? 3000;
    const socket = net.connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TransportError('connect_timeout', `no connection to ${this.uri} within ${limit} ms`));
      }, limit);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new TransportError('connect_failed', `cannot connect to ${this.uri}: ${err.message}`, { cause: err }));
      });
    });
    socket.on('data', (d: Buffer) => this.replies.push(d));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
    });
    this.socket = socket;
    return socket;
  }

  private scheduleIdleClose(): void {
    const idle = this.options.idleCloseMs ?? 5000;
    if (idle <= 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.queue.run(() => this.disconnect()), idle);
    this.idleTimer.unref();
  }

  private async disconnect(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const socket = this.socket;
    this.socket = null;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      // end() sends what is still buffered before the FIN.
      socket.end();
    });
  }
}

/**
 * A device node (usblp) or a plain file. Devices are opened read-write and non-blocking so a status
 * read can time out instead of parking a libuv thread forever; a printer that does not support
 * reading (or a plain file) gives `unsupported`.
 */
class FileTransport implements PrinterTransport {
  private handle: FileHandle | null = null;
  private readable = false;
  private readonly queue = new Queue();

  constructor(
    readonly uri: string,
    private readonly path: string,
    private readonly options: TransportOptions,
  ) {}

  write(bytes: Uint8Array): Promise<void> {
    return this.queue.run(async () => {
      const handle = await this.opened();
      await this.writeAll(handle, bytes);
    });
  }

  queryStatus(n: StatusQuery, timeoutMs?: number): Promise<StatusReply> {
    return this.queue.run(async () => {
      const handle = await this.opened();
      if (!this.readable) return { kind: 'unsupported' };
      await this.drainInput(handle);
      await this.writeAll(handle, statusQuery(n));
      const deadline = Date.now() + (timeoutMs ?? this.options.replyTimeoutMs ?? 1000);
      const buf = Buffer.alloc(16);
      while (Date.now() < deadline) {
        try {
          const { bytesRead } = await handle.read(buf, 0, buf.length, null);
          for (let i = 0; i < bytesRead; i++) {
            const b = buf[i] as number;
            if (isStatusByte(b)) return { kind: 'byte', byte: b };
          }
        } catch (err) {
          if (errnoCode(err) !== 'EAGAIN') {
            this.readable = false;
            return { kind: 'unsupported' };
          }
        }
        await sleep(5);
      }
      return { kind: 'timeout' };
    });
  }

  close(): Promise<void> {
    return this.queue.run(async () => {
      const handle = this.handle;
      this.handle = null;
      await handle?.close();
    });
  }

  private async opened(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    const info = await stat(this.path).catch(() => null);
    try {
      if (info && (info.isCharacterDevice() || info.isFIFO())) {
        try {
          this.handle = await openFile(this.path, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
          this.readable = true;
        } catch (err) {
          if (errnoCode(err) !== 'EACCES' && errnoCode(err) !== 'EPERM') throw err;
          this.handle = await openFile(this.path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
          this.readable = false;
        }
      } else {
        this.handle = await openFile(this.path, 'a');
        this.readable = false;
      }
    } catch (cause) {
      throw new TransportError('connect_failed', `cannot open ${this.path}: ${errorMessage(cause)}`, { cause });
    }
    return this.handle;
  }

  /** Non-blocking devices may take part of a write or refuse it (EAGAIN) while the printer is busy. */
  private async writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
    const deadline = Date.now() + (this.options.writeTimeoutMs ?? 15_000);
    let offset = 0;
    while (offset < bytes.byteLength) {
      try {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset, null);
        offset += bytesWritten;
        if (bytesWritten > 0) continue;
      } catch (err) {
        if (errnoCode(err) !== 'EAGAIN') {
          throw new TransportError('write_failed', `write to ${this.path} failed: ${errorMessage(err)}`, { cause: err });
        }
      }
      if (Date.now() > deadline) throw new TransportError('write_timeout', `${this.path} stopped accepting data`);
      await sleep(5);
    }
  }

  private async drainInput(handle: FileHandle): Promise<void> {
    const buf = Buffer.alloc(64);
    for (let i = 0; i < 16; i++) {
      try {
        const { bytesRead } = await handle.read(buf, 0, buf.length, null);
        if (bytesRead === 0) return;
      } catch {
        return;
      }
    }
  }
}

class SerialTransport implements PrinterTransport {
  private port: SerialPortHandle | null = null;
  private readonly queue = new Queue();
  private readonly replies = new ReplyBuffer();

  constructor(
    readonly uri: string,
    private readonly path: string,
    private readonly baudRate: number,
    private readonly options: TransportOptions,
  ) {}

  write(bytes: Uint8Array): Promise<void> {
    return this.queue.run(async () => {
      const port = await this.opened();
      await port.write(bytes).catch((cause: unknown) => {
        throw new TransportError('write_failed', `write to ${this.uri} failed: ${errorMessage(cause)}`, { cause });
      });
    });
  }

  queryStatus(n: StatusQuery, timeoutMs?: number): Promise<StatusReply> {
    return this.queue.run(async () => {
      const port = await this.opened();
      this.replies.clear();
      await port.write(statusQuery(n));
      const byte = await this.replies.nextStatusByte(timeoutMs ?? this.options.replyTimeoutMs ?? 1000);
      return byte === null ? { kind: 'timeout' } : { kind: 'byte', byte };
    });
  }

  close(): Promise<void> {
    return this.queue.run(async () => {
      const port = this.port;
      this.port = null;
      await port?.close();
    });
  }

  private async opened(): Promise<SerialPortHandle> {
    if (this.port?.isOpen) return this.port;
    try {
      const port = await openSerialPort({
        path: this.path,
        baudRate: this.baudRate,
        binding: this.options.serialBinding,
        timeoutMs: this.options.connectTimeoutMs ?? 3000,
      });
      port.onData((d) => this.replies.push(d));
      this.port = port;
      return port;
    } catch (cause) {
      throw new TransportError('connect_failed', `cannot open ${this.uri}: ${errorMessage(cause)}`, { cause });
    }
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
