/**
 * A durable append-only JSON-lines file: each record is one line, written with a single append and
 * fdatasync'd before `append()` resolves. So once `append()` resolved, the record survives kill -9 and a
 * power cut (as far as the disk honours flushes); a record whose append never resolved may be lost, and
 * nothing was promised for it.
 *
 * A crash in the middle of a write can leave a torn last line. `open()` cuts it off (it was never
 * acknowledged) before appending anything, so a torn line can never swallow the next record.
 */
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AppendLogOpenResult<T> {
  log: AppendLog<T>;
  records: T[];
  /** Bytes of a torn last line that were cut off (0 normally). */
  repairedBytes: number;
  /** Complete lines that did not parse (should be 0; they are kept in the file and skipped). */
  skippedLines: number;
}

export class AppendLog<T> {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async open<T>(path: string): Promise<AppendLogOpenResult<T>> {
    await mkdir(dirname(path), { recursive: true });
    let text = '';
    let existed = true;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      existed = false;
    }
    let repairedBytes = 0;
    if (text.length > 0 && !text.endsWith('\n')) {
      const keep = text.lastIndexOf('\n') + 1;
      const keptBytes = Buffer.byteLength(text.slice(0, keep), 'utf8');
      repairedBytes = Buffer.byteLength(text, 'utf8') - keptBytes;
      await truncate(path, keptBytes);
      text = text.slice(0, keep);
    }
    const records: T[] = [];
    let skippedLines = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        skippedLines++;
      }
    }
    const handle = await open(path, 'a', 0o600);
    if (!existed) await syncDirectory(dirname(path));
    return { log: new AppendLog<T>(path, handle), records, repairedBytes, skippedLines };
  }

  /** Resolves once the record is on disk. Appends run one at a time, in call order. */
  append(record: T): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    if (line.indexOf('\n') !== line.length - 1) throw new Error('a record must serialise to one line');
    const run = this.tail.then(async () => {
      if (this.closed) throw new Error(`${this.path} is closed`);
      await this.handle.appendFile(line, 'utf8');
      await this.handle.datasync();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.tail;
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** The new file's directory entry must reach the disk too, or a power cut can lose the whole file. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported everywhere (Windows): the file's own fsync is the best there is.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
