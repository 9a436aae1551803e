/**
 * A serial port (printer or scanner in serial / USB-CDC mode) behind a small promise API.
 * `serialport` is imported lazily: its native binding only loads on machines that use a serial device.
 */
import type { SerialPort, SerialPortMock } from 'serialport';

/** The platform binding, or `MockBinding` from @serialport/binding-mock in tests. */
export type SerialBinding = typeof SerialPort.binding | typeof SerialPortMock.binding;

export interface SerialPortOptions {
  path: string;
  baudRate: number;
  binding?: SerialBinding;
  /** Open limit. Default 3000 ms. */
  timeoutMs?: number;
}

export interface SerialPortHandle {
  readonly isOpen: boolean;
  /** Resolves once the bytes are written and drained to the device. */
  write(bytes: Uint8Array): Promise<void>;
  onData(listener: (data: Buffer) => void): void;
  onClose(listener: (error: Error | null) => void): void;
  close(): Promise<void>;
}

export async function openSerialPort(options: SerialPortOptions): Promise<SerialPortHandle> {
  const { SerialPort: SerialPortClass } = await import('serialport');
  const openOptions = {
    path: options.path,
    baudRate: options.baudRate,
    autoOpen: false,
    binding: options.binding ?? SerialPortClass.binding,
  };
  // `binding` is left out of SerialPort's option type but honoured at runtime (it spreads options
  // over its default binding); passing it through a variable keeps the types honest elsewhere.
  const port = new SerialPortClass(openOptions);
  const limit = options.timeoutMs ?? 3000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serial port ${options.path} did not open within ${limit} ms`)), limit);
    port.open((err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
  });
  port.on('error', () => undefined);
  return {
    get isOpen() {
      return port.isOpen;
    },
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        port.write(Buffer.from(bytes), (err) => {
          if (err) return reject(err);
          port.drain((drainErr) => (drainErr ? reject(drainErr) : resolve()));
        });
      }),
    onData: (listener) => {
      port.on('data', listener);
    },
    onClose: (listener) => {
      port.on('close', (err: Error | null | undefined) => listener(err ?? null));
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
