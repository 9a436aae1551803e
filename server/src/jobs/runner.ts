/**
 * Runs the background jobs on a timer in every server process. A job runs only while this process
 * holds its lease in the database; nothing about who does what lives in process memory.
 */
import { randomUUID } from 'node:crypto';
import { chinaLocalParts, toIsoUtc } from '@jifen/shared';
import type { Services } from '../http/context.js';
import { release, renew, tryAcquire } from './lease.js';
import { expireDuePoints, grantBirthdayGifts, releaseDuePoints, reviewTiers } from './points-jobs.js';
import { drainOutbox, syncPendingPayments, syncProcessingRefunds } from './payment-jobs.js';
import { REPORT_JOBS } from '../commands/report-rollup.js';
import { RETENTION_JOBS } from '../commands/retention.js';

export interface JobDefinition {
  name: string;
  everyMs: number;
  run(services: Services, now: number): Promise<unknown>;
}

export const PAYMENT_JOBS: JobDefinition[] = [
  // A notification normally arrives within seconds; after two minutes, ask WeChat.
  { name: 'sync-payments', everyMs: 60_000, run: (s) => syncPendingPayments(s.paymentDeps(), 120_000) },
  { name: 'sync-refunds', everyMs: 5 * 60_000, run: (s) => syncProcessingRefunds(s.paymentDeps(), 5 * 60_000) },
  { name: 'outbox', everyMs: 5_000, run: (s) => drainOutbox(s.paymentDeps(), s.mp) },
];

export const POINTS_JOBS: JobDefinition[] = [
  { name: 'release-pending', everyMs: 60_000, run: (s, now) => releaseDuePoints(s.db, now) },
  { name: 'expire', everyMs: 15 * 60_000, run: (s, now) => expireDuePoints(s.db, now) },
  { name: 'birthday-gifts', everyMs: 60 * 60_000, run: (s, now) => grantBirthdayGifts(s.db, now) },
  {
    name: 'tier-review',
    everyMs: 60 * 60_000,
    // The review runs on the first day of each China month; repeats that day change nothing new.
    run: async (s, now) => (chinaLocalParts(toIsoUtc(now)).day === 1 ? reviewTiers(s.db, now) : null),
  },
];

export interface JobRunner {
  owner: string;
  /** Runs one job now if its lease can be had; resolves to whether it ran. */
  runOnce(name: string): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Far above clock skew between servers, short enough that a killed holder stops a job for seconds,
 * not minutes; the holder renews every third of it while the job runs.
 */
const LEASE_MS = 30_000;

export function startJobs(
  services: Services,
  jobs: JobDefinition[] = [...POINTS_JOBS, ...PAYMENT_JOBS, ...REPORT_JOBS, ...RETENTION_JOBS],
  options: { autoStart?: boolean } = {},
): JobRunner {
  const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  // Only keeps this process from overlapping itself (a run longer than its interval); which
  // process runs a job is decided by the lease in the database.
  const busy = new Set<string>();
  let stopped = false;

  async function runOnce(name: string): Promise<boolean> {
    const job = jobs.find((j) => j.name === name);
    if (!job || stopped || busy.has(name)) return false;
    busy.add(name);
    try {
      return await runLeased(job);
    } finally {
      busy.delete(name);
    }
  }

  async function runLeased(job: JobDefinition): Promise<boolean> {
    const lease = await tryAcquire(services.db, job.name, owner, LEASE_MS, services.now());
    if (!lease) return false;
    const keepAlive = setInterval(() => void renew(services.db, lease, LEASE_MS, services.now()).catch(() => undefined), LEASE_MS / 3);
    try {
      const result = await job.run(services, services.now());
      if (result) services.logger.info({ job: job.name, result }, 'job finished');
      return true;
    } catch (e) {
      services.logger.error({ job: job.name, err: e }, 'job failed');
      return true;
    } finally {
      clearInterval(keepAlive);
      await release(services.db, lease).catch(() => undefined);
    }
  }

  if (options.autoStart !== false) {
    for (const job of jobs) {
      const tick = () => {
        if (stopped) return;
        const p = runOnce(job.name).catch((e: unknown) => services.logger.error({ job: job.name, err: e }, 'job tick failed'));
        running.add(p);
        void p.finally(() => running.delete(p));
      };
      // Spread the first runs so a fleet of servers restarting together does not stampede.
      timers.push(setTimeout(tick, 1_000 + Math.floor(Math.random() * 4_000)));
      timers.push(setInterval(tick, job.everyMs));
    }
  }

  return {
    owner,
    runOnce,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled([...running]);
    },
  };
}
