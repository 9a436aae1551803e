import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/** Every server test runs twice: on embedded SQLite and on MariaDB/MySQL (JIFEN_TEST_MYSQL_URL). */
export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the `jifen-source` export condition).
  ssr: { resolve: { conditions: ['jifen-source', ...defaultServerConditions] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['src/**/*.test.ts'], env: { JIFEN_TEST_DB: 'sqlite' } } },
      { extends: true, test: { name: 'mysql', include: ['src/**/*.test.ts'], env: { JIFEN_TEST_DB: 'mysql' } } },
    ],
  },
});
