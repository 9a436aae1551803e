/**
 * Builds the two browser-side bundles with vite (a root devDependency; esbuild under it):
 *   dist/renderer/   the cashier UI (src/renderer/index.html → hashed assets)
 *   dist/preload/preload.cjs   the Electron preload as one CommonJS file (sandboxed preloads cannot load ESM)
 * Run: node --import tsx kiosk/src/host/build-ui.ts   (or `pnpm --filter @jifen/kiosk build:ui`).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const KIOSK = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const RENDERER_DIST = join(KIOSK, 'dist/renderer');
export const PRELOAD_DIST = join(KIOSK, 'dist/preload');

export async function buildRenderer(outDir: string = RENDERER_DIST): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    logLevel: 'warn',
    root: join(KIOSK, 'src/renderer'),
    base: './',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      // No inline polyfill script: the CSP allows scripts from 'self' only.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      sourcemap: true,
    },
  });
}

export async function buildPreload(outDir: string = PRELOAD_DIST): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      lib: { entry: join(KIOSK, 'src/preload/preload.ts'), formats: ['cjs'], fileName: () => 'preload.cjs' },
      rollupOptions: { external: ['electron'] },
    },
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  await buildRenderer();
  await buildPreload();
  console.log(`kiosk UI built in ${Math.round(performance.now() - started)} ms: ${RENDERER_DIST}, ${PRELOAD_DIST}`);
}
