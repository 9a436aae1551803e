import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript sources (the `jifen-source` export condition).
    conditions: ['jifen-source', 'module', 'browser', 'development|production'],
    alias: [
      // The real components and page hooks exist only inside a Taro build: DOM stand-ins and a mock instead.
      { find: /^@tarojs\/components$/, replacement: here('./src/test/components-stub.tsx') },
      { find: /^@tarojs\/taro$/, replacement: here('./src/test/taro-mock.ts') },
    ],
  },
  ssr: { resolve: { conditions: ['jifen-source', ...defaultServerConditions] } },
  esbuild: { jsx: 'automatic' },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
    setupFiles: ['./src/test/setup.ts'],
    env: { TARO_ENV: 'weapp' },
    // The build-dependent tests (test/) run the Taro build when dist is missing or stale.
    testTimeout: 20_000,
    hookTimeout: 180_000,
  },
});
