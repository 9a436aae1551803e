import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the `jifen-source` export condition).
  ssr: { resolve: { conditions: ['jifen-source', ...defaultServerConditions] } },
  test: { include: ['sim/**/*.test.ts', 'e2e/**/*.test.ts'], testTimeout: 60_000 },
});
