/**
 * A network receipt printer on a TCP port (raw 9100 protocol): answers real-time status queries on
 * the same socket, records and decodes everything else into jobs. Used by the sandbox and by tests.
 */
import net from 'node:net';
import { EscPosParser } from './escpos-parser.js';
import type { EscPosCommand } from './escpos-parser.js';
import { JobBuilder } from './job.js';
import type { DecodedJob } from './job.js';

export type PrinterState = 'ready' | 'paper_out' | 'cover_open' | 'offline' | 'paper_near_end';

export interface Job extends DecodedJob {
  /** Sequence number, from 1, across all connections. */
  id: number;
  connectionId: number;
  receivedAt: Date;
  /** When the last byte of the job arrived (the end of the order-paid → printed path). */
  lastByteAt: Date;
  completedAt: Date;
  endedBy: 'cut' | 'idle' | 'close';
  /** State when the first byte arrived. */
  printerState: PrinterState;
  /**
   * Bytes arrived while the printer could not print (paper out, cover open, offline). A real
   * printer would not have printed them (or only partly); tests treat such a job as "not printed".
   */
  flagged: boolean;
  notReadyStates: PrinterState[];
}

export interface StatusQueryRecord {
  n: number;
  /** The byte sent back, or null when the printer was told not to answer. */
  reply: number | null;
  state: PrinterState;
  at: Date;
}

/** A real-time drawer pulse (`DLE DC4 1 m t`): run at once, in any state but a hard offline. */
export interface RealtimePulseRecord {
  pin: 2 | 5;
  onMs: number;
  state: PrinterState;
  at: Date;
}

export interface VirtualPrinterOptions {
  /** 0 picks a free port. Default 9100 (the sandbox's printer). */
  port?: number;
  host?: string;
  /** A job without a cut ends after this much silence. Default 200 ms. */
  idleMs?: number;
  /** Start state. Default 'ready'. */
  state?: PrinterState;
  /** false: ignore DLE EOT, like printers that never answer status. Default true. */
  answerStatus?: boolean;
  /** Delay before each status reply. Default 0. */
  statusReplyDelayMs?: number;
  /** See EscPosParserOptions. Default false. */
  chineseModeAfterInit?: boolean;
}

export interface VirtualPrinter {
  readonly port: number;
  readonly host: string;
  /** `tcp://host:port`, the URI the kiosk's transports take. */
  readonly uri: string;
  readonly jobs: readonly Job[];
  readonly statusQueries: readonly StatusQueryRecord[];
  /** Drawer pulses run in real time, outside any job (a cash sale while the roll is out). */
  readonly realtimePulses: readonly RealtimePulseRecord[];
  readonly state: PrinterState;
  setState(state: PrinterState): void;
  setAnswerStatus(answer: boolean): void;
  /** Called for every completed job; returns an unsubscribe function. */
  onJob(cb: (job: Job) => void): () => void;
  /**
   * The first job (already recorded or still to come) matching `predicate`. Rejects after
   * `timeoutMs` (default 2000).
   */
  waitForJob(predicate?: (job: Job) => boolean, timeoutMs?: number): Promise<Job>;
  clearJobs(): void;
  close(): Promise<void>;
}

/**
 * Replies to `DLE EOT n` per state (pos-hardware.md): healthy 0x12; n=1 bit 0x08 offline;
 * n=2 0x04 cover open, 0x20 stopped by paper end; n=4 0x0C near end, 0x60 paper end. Like Epson
 * printers, paper end and an open cover also take the printer offline.
 */
const STATUS_REPLIES: Record<PrinterState, Record<1 | 2 | 4, number>> = {
  ready: { 1: 0x12, 2: 0x12, 4: 0x12 },
  paper_near_end: { 1: 0x12, 2: 0x12, 4: 0x12 | 0x0c },
  paper_out: { 1: 0x12 | 0x08, 2: 0x12 | 0x20, 4: 0x12 | 0x60 },
  cover_open: { 1: 0x12 | 0x08, 2: 0x12 | 0x04, 4: 0x12 },
  offline: { 1: 0x12 | 0x08, 2: 0x12, 4: 0x12 },
};

/** `GS r 1` (paper sensor) replies: near end bits 0–1, paper end bits 2–3. */
const PAPER_SENSOR_REPLIES: Record<PrinterState, number> = {
  ready: 0x00,
  paper_near_end: 0x03,
  paper_out: 0x0f,
  cover_open: 0x00,
  offline: 0x00,
};

export function statusReply(state: PrinterState, n: number): number {
  return n === 1 || n === 2 || n === 4 ? STATUS_REPLIES[state][n] : 0x12;
}

const PRINTABLE_STATES: ReadonlySet<PrinterState> = new Set(['ready', 'paper_near_end']);

export async function startVirtualPrinter(options: VirtualPrinterOptions = {}): Promise<VirtualPrinter> {
  const host = options.host ?? '127.0.0.1';
  const idleMs = options.idleMs ?? 200;
  const replyDelay = options.statusReplyDelayMs ?? 0;
  let state: PrinterState = options.state ?? 'ready';
  let answerStatus = options.answerStatus ?? true;
  const jobs: Job[] = [];
  const statusQueries: StatusQueryRecord[] = [];
  const realtimePulses: RealtimePulseRecord[] = [];
  const listeners = new Set<(job: Job) => void>();
  const sockets = new Set<net.Socket>();
  const openJobs = new Set<() => void>();
  let nextJobId = 1;
  let nextConnectionId = 1;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = nextConnectionId++;
    const parser = new EscPosParser({ chineseModeAfterInit: options.chineseModeAfterInit ?? false });
    let builder: JobBuilder | null = null;
    let receivedAt = new Date();
    let lastByteAt = new Date();
    let firstState: PrinterState = state;
    const notReady = new Set<PrinterState>();
    let idleTimer: NodeJS.Timeout | null = null;

    const finish = (endedBy: Job['endedBy']): void => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = null;
      openJobs.delete(finishOnClose);
      if (!builder || builder.isEmpty) {
        builder = null;
        return;
      }
      const decoded = builder.finish();
      builder = null;
      const job: Job = {
        ...decoded,
        id: nextJobId++,
        connectionId,
        receivedAt,
        lastByteAt,
        completedAt: new Date(),
        endedBy,
        printerState: firstState,
        flagged: notReady.size > 0,
        notReadyStates: [...notReady],
      };
      notReady.clear();
      jobs.push(job);
      for (const cb of [...listeners]) cb(job);
    };
    const finishOnClose = (): void => finish('close');

    const reply = (byte: number): void => {
      const send = (): void => {
        if (!socket.destroyed) socket.write(Uint8Array.of(byte));
      };
      if (replyDelay > 0) setTimeout(send, replyDelay);
      else send();
    };

    const handle = (cmd: EscPosCommand): void => {
      if (cmd.kind === 'status_query') {
        const byte = answerStatus ? statusReply(state, cmd.n) : null;
        statusQueries.push({ n: cmd.n, reply: byte, state, at: new Date() });
        if (byte !== null) reply(byte);
        return;
      }
      if (cmd.kind === 'drawer_kick' && cmd.realtime && !builder) {
        // Like status queries, handled on arrival whatever the state, never buffered into a job.
        if (state !== 'offline') realtimePulses.push({ pin: cmd.pin, onMs: cmd.onMs, state, at: new Date() });
        return;
      }
      if (!builder) {
        builder = new JobBuilder();
        receivedAt = new Date();
        firstState = state;
        openJobs.add(finishOnClose);
      }
      lastByteAt = new Date();
      if (!PRINTABLE_STATES.has(state)) notReady.add(state);
      builder.add(cmd);
      if (cmd.kind === 'transmit_status') reply(cmd.n === 1 || cmd.n === 0x31 ? PAPER_SENSOR_REPLIES[state] : 0x00);
      if (cmd.kind === 'cut') finish('cut');
    };

    socket.on('data', (chunk: Buffer) => {
      for (const cmd of parser.push(chunk)) handle(cmd);
      if (builder) {
        if (idleTimer) clearTimeout(idleTimer);
        idleTimer = setTimeout(() => {
          for (const cmd of parser.flush()) handle(cmd);
          finish('idle');
        }, idleMs);
      }
    });
    socket.on('close', () => {
      sockets.delete(socket);
      for (const cmd of parser.flush()) handle(cmd);
      finish('close');
    });
    // A client resetting the connection is normal for a printer; the job so far is kept on close.
    socket.on('error', () => undefined);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9100, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('virtual printer: no TCP address');
  const port = address.port;

  const waitForJob = (predicate: (job: Job) => boolean = () => true, timeoutMs = 2000): Promise<Job> => {
    const existing = jobs.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise<Job>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`virtual printer: no matching job within ${timeoutMs} ms (${jobs.length} jobs recorded)`));
      }, timeoutMs);
      const listener = (job: Job): void => {
        if (!predicate(job)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(job);
      };
      listeners.add(listener);
    });
  };

  return {
    port,
    host,
    uri: `tcp://${host}:${port}`,
    get jobs() {
      return jobs;
    },
    get statusQueries() {
      return statusQueries;
    },
    get realtimePulses() {
      return realtimePulses;
    },
    get state() {
      return state;
    },
    setState(next) {
      state = next;
    },
    setAnswerStatus(answer) {
      answerStatus = answer;
    },
    onJob(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    waitForJob,
    clearJobs() {
      jobs.length = 0;
      statusQueries.length = 0;
      realtimePulses.length = 0;
    },
    async close() {
      for (const finishJob of [...openJobs]) finishJob();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
