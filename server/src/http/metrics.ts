/**
 * Prometheus metrics: notifications by outcome, settlement latency, outbox depth and pending orders.
 * Counters live per process (Prometheus sums them across servers); gauges are read from the database
 * at scrape time, so every server reports the same truth.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../db/connect.js';
import { outboxDepth, pendingOrderCount } from '../repositories/order.repository.js';

export interface Metrics {
  registry: Registry;
  notifications: Counter<'kind' | 'outcome'>;
  settlementSeconds: Histogram<'source'>;
}

export function createMetrics(db: Db): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'jifen_' });
  const notifications = new Counter({
    name: 'jifen_wxpay_notifications_total',
    help: 'WeChat Pay notifications received, by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const settlementSeconds = new Histogram({
    name: 'jifen_settlement_seconds',
    help: 'Time to settle a paid order (lock, mark paid, credit points), by source',
    labelNames: ['source'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'jifen_outbox_depth',
    help: 'Messages waiting in the outbox',
    registers: [registry],
    async collect() {
      this.set(await outboxDepth(db.kysely));
    },
  });
  new Gauge({
    name: 'jifen_pending_orders',
    help: 'Orders waiting for payment',
    registers: [registry],
    async collect() {
      this.set(await pendingOrderCount(db.kysely));
    },
  });
  return { registry, notifications, settlementSeconds };
}
