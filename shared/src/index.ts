export * from './errors.js';
export * from './domain/money.js';
export * from './contracts/admin.js';
export * from './domain/time.js';
export * from './domain/expiry.js';
export * from './domain/tiers.js';
export * from './domain/rules/index.js';
export * from './contracts/pos.js';
