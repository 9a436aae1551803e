export * from './schema.js';
export * from './engine.js';
export * from './grants.js';
