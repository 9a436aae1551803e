/** What other packages (the sandbox, cross-package tests) use of the server. */
export { loadConfig } from './config.js';
export type { Config } from './config.js';
export { openDatabase } from './db/connect.js';
export type { Db } from './db/connect.js';
export { migrateToLatest } from './db/migrate.js';
export { PersonalDataCipher } from './lib/crypto.js';
export { startServer } from './server.js';
export type { RunningServer } from './server.js';
export { seedDemo, DEMO_MEMBERS } from './seed/demo.js';
export { DEMO_CASHIERS, DEMO_PRODUCTS } from './seed/demo-pos.js';
