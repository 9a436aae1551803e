/**
 * One kiosk process per data directory: two processes draining one offline journal would post the
 * same sales side by side (the server would still settle each once, but the journal would record
 * each twice). A pid file created with O_EXCL; a stale one (its process is gone) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';

export interface DataLock {
  release(): Promise<void>;
}

export class LockedError extends Error {
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(`another kiosk process (pid ${pid}) is using ${path}; stop it first`);
    this.name = 'LockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireDataLock(path: string): Promise<DataLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new LockedError(path, pid);
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not lock ${path}`);
}
