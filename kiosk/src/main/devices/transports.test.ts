import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockBinding } from '@serialport/binding-mock';
import type { MockPortBinding } from '@serialport/binding-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { openTransport, parsePrinterUri, TransportError } from './transports.js';
import type { PrinterTransport } from './transports.js';

describe('parsePrinterUri', () => {
  it('reads the three schemes', () => {
    expect(parsePrinterUri('tcp://192.168.1.50:9100')).toEqual({ kind: 'tcp', host: '192.168.1.50', port: 9100 });
    expect(parsePrinterUri('tcp://printer.local')).toEqual({ kind: 'tcp', host: 'printer.local', port: 9100 });
    expect(parsePrinterUri('file:/dev/usb/lp0')).toEqual({ kind: 'file', path: '/dev/usb/lp0' });
    expect(parsePrinterUri('file:///dev/usb/lp0')).toEqual({ kind: 'file', path: '/dev/usb/lp0' });
    expect(parsePrinterUri('serial:/dev/ttyUSB0?baud=19200')).toEqual({ kind: 'serial', path: '/dev/ttyUSB0', baudRate: 19200 });
    expect(parsePrinterUri('serial:/dev/ttyUSB0')).toEqual({ kind: 'serial', path: '/dev/ttyUSB0', baudRate: 9600 });
  });

  it('rejects what it cannot use', () => {
    for (const bad of ['lp0', 'http://x', 'tcp://', 'serial:/dev/ttyUSB0?baud=fast']) {
      expect(() => parsePrinterUri(bad)).toThrow(TransportError);
    }
    try {
      parsePrinterUri('http://x');
    } catch (err) {
      expect(err).toMatchObject({ code: 'invalid_uri' });
    }
  });
});

/** A bare TCP printer: records bytes; `answer` decides the reply to each DLE EOT. */
async function fakeTcpPrinter(answer: (n: number) => number[] | null = () => [0x12]) {
  const received: number[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length; i++) {
        if (d[i] === 0x10 && d[i + 1] === 0x04 && i + 2 < d.length) {
          const reply = answer(d[i + 2] as number);
          if (reply) socket.write(Uint8Array.from(reply));
          i += 2;
        } else {
          received.push(d[i] as number);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    uri: `tcp://127.0.0.1:${port}`,
    received,
    get connections() {
      return connections;
    },
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('tcp transport', () => {
  let transport: PrinterTransport | null = null;
  afterEach(async () => {
    await transport?.close();
    transport = null;
  });

  it('writes bytes and reads the status reply on the same socket', async () => {
    const printer = await fakeTcpPrinter((n) => [n === 4 ? 0x72 : 0x12]);
    transport = openTransport(printer.uri);
    await transport.write(Uint8Array.of(0x1b, 0x40, 0x41));
    expect(await transport.queryStatus(1)).toEqual({ kind: 'byte', byte: 0x12 });
    expect(await transport.queryStatus(4)).toEqual({ kind: 'byte', byte: 0x72 });
    await transport.close();
    expect(printer.received).toEqual([0x1b, 0x40, 0x41]);
    expect(printer.connections).toBe(1);
    await printer.close();
  });

  it('times out when the printer does not answer DLE EOT', async () => {
    const printer = await fakeTcpPrinter(() => null);
    transport = openTransport(printer.uri);
    const start = Date.now();
    expect(await transport.queryStatus(1, 100)).toEqual({ kind: 'timeout' });
    expect(Date.now() - start).toBeGreaterThanOrEqual(90);
    await printer.close();
  });

  it('skips stray bytes (a GS r answer, a late reply) that are not status replies', async () => {
    const printer = await fakeTcpPrinter(() => [0x00, 0x0f, 0x16]);
    transport = openTransport(printer.uri);
    expect(await transport.queryStatus(2)).toEqual({ kind: 'byte', byte: 0x16 });
    await printer.close();
  });

  it('reports an unreachable printer as connect_failed', async () => {
    const printer = await fakeTcpPrinter();
    await printer.close();
    transport = openTransport(printer.uri, { connectTimeoutMs: 500 });
    await expect(transport.write(Uint8Array.of(0x41))).rejects.toMatchObject({ name: 'TransportError', code: 'connect_failed' });
  });

  it('reconnects after the printer dropped the connection', async () => {
    const printer = await fakeTcpPrinter();
    transport = openTransport(printer.uri);
    await transport.write(Uint8Array.of(0x41));
    await new Promise((r) => setTimeout(r, 30));
    printer.dropConnections();
    await new Promise((r) => setTimeout(r, 50));
    await transport.write(Uint8Array.of(0x42));
    await new Promise((r) => setTimeout(r, 50));
    expect(printer.received).toEqual([0x41, 0x42]);
    expect(printer.connections).toBe(2);
    await printer.close();
  });

  it('lets go of the connection when idle (single-connection printers)', async () => {
    const printer = await fakeTcpPrinter();
    transport = openTransport(printer.uri, { idleCloseMs: 30 });
    await transport.write(Uint8Array.of(0x41));
    await new Promise((r) => setTimeout(r, 120));
    await transport.write(Uint8Array.of(0x42));
    expect(printer.connections).toBe(2);
    await printer.close();
  });
});

describe('file transport', () => {
  it('appends to a file and says status cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jifen-lp-'));
    const path = join(dir, 'lp0');
    const transport = openTransport(`file:${path}`);
    await transport.write(Uint8Array.of(0x1b, 0x40));
    await transport.write(Uint8Array.of(0x41, 0x0a));
    expect(await transport.queryStatus(1)).toEqual({ kind: 'unsupported' });
    await transport.close();
    expect([...(await readFile(path))]).toEqual([0x1b, 0x40, 0x41, 0x0a]);
    await rm(dir, { recursive: true });
  });

  it('fails to open a path it cannot write', async () => {
    const transport = openTransport('file:/nonexistent-dir/lp0');
    await expect(transport.write(Uint8Array.of(0x41))).rejects.toMatchObject({ code: 'connect_failed' });
  });
});

describe('serial transport (MockBinding)', () => {
  afterEach(() => MockBinding.reset());

  /** MockBinding that hands the opened port to the test, to play the printer's side. */
  function capturingBinding() {
    const opened: MockPortBinding[] = [];
    const binding: typeof MockBinding = {
      ...MockBinding,
      async open(options: Parameters<typeof MockBinding.open>[0]) {
        const port = await MockBinding.open(options);
        opened.push(port);
        return port;
      },
    };
    return { binding, opened };
  }

  it('writes to the port and reads status replies from it', async () => {
    MockBinding.createPort('/dev/ttyUSB0', { echo: false, record: true });
    const { binding, opened } = capturingBinding();
    const transport = openTransport('serial:/dev/ttyUSB0?baud=9600', { serialBinding: binding });
    await transport.write(Uint8Array.of(0x1b, 0x40));
    const port = opened[0];
    expect(port?.openOptions.baudRate).toBe(9600);
    const reply = transport.queryStatus(1, 500);
    await new Promise((r) => setTimeout(r, 20));
    port?.emitData(Buffer.of(0x1a));
    expect(await reply).toEqual({ kind: 'byte', byte: 0x1a });
    expect([...(port?.recording ?? [])]).toEqual([0x1b, 0x40, 0x10, 0x04, 0x01]);
    expect(await transport.queryStatus(2, 50)).toEqual({ kind: 'timeout' });
    await transport.close();
  });

  it('reports a missing port as connect_failed', async () => {
    const transport = openTransport('serial:/dev/ttyNOPE', { serialBinding: MockBinding });
    await expect(transport.write(Uint8Array.of(0x41))).rejects.toMatchObject({ code: 'connect_failed' });
  });
});
