/** `pnpm kiosk:print-test` run as a child process against the virtual printer. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startVirtualPrinter } from './virtual-printer.js';
import type { VirtualPrinter } from './virtual-printer.js';

const KIOSK_DIR = fileURLToPath(new URL('../../../kiosk/', import.meta.url));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=jifen-source', '--import', 'tsx', 'src/main/devices/print-test-cli.ts', ...args],
      { cwd: KIOSK_DIR, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let printer: VirtualPrinter;
beforeAll(async () => {
  printer = await startVirtualPrinter({ port: 0 });
});
afterAll(async () => {
  await printer.close();
});
beforeEach(() => {
  printer.clearJobs();
  printer.setState('ready');
  printer.setAnswerStatus(true);
});

describe('kiosk:print-test CLI', () => {
  it('exits 0 on a ready printer, which decodes the Chinese text and the QR codes', async () => {
    const r = await runCli(['--printer', printer.uri]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[1/3]');
    expect(r.stdout).toContain('[3/3]');
    const job = await printer.waitForJob();
    expect(job.lines).toContain('积分打印测试 中文测试 ￥12.34');
    expect(job.qrPayloads).toEqual(['JIFEN-PRINT-TEST']);
    expect(job.rasterImages).toHaveLength(1);
    expect(job.rasterImages[0]?.heightDots).toBeGreaterThan(100);
    expect(job.cuts).toHaveLength(1);
    expect(job.flagged).toBe(false);
    // status asked before and after printing, never mixed into the job
    expect(printer.statusQueries.length).toBeGreaterThanOrEqual(6);
    expect(job.bytes.includes(Buffer.from([0x10, 0x04]))).toBe(false);
  });

  it('exits 1 with 缺纸 on paper out and prints nothing', async () => {
    printer.setState('paper_out');
    const r = await runCli(['--printer', printer.uri]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('缺纸');
    expect(r.stderr).toContain('paper out');
    await new Promise((res) => setTimeout(res, 250));
    expect(printer.jobs).toEqual([]);
  });

  it('exits 1 with 开盖 on cover open and 离线 when offline', async () => {
    printer.setState('cover_open');
    const cover = await runCli(['--printer', printer.uri]);
    expect(cover.code).toBe(1);
    expect(cover.stderr).toContain('开盖 (cover open)');
    printer.setState('offline');
    const offline = await runCli(['--printer', printer.uri]);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain('离线 (offline)');
    expect(printer.jobs).toEqual([]);
  });

  it('exits 1 when nothing listens, and 2 without --printer', async () => {
    const closed = await startVirtualPrinter({ port: 0 });
    const uri = closed.uri;
    await closed.close();
    const r = await runCli(['--printer', uri]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('无法连接打印机');
    const usage = await runCli([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage');
  });
});
