import path from 'node:path';
import { defineConfig, type UserConfigExport } from '@tarojs/cli';
import type { IProjectConfig } from '@tarojs/taro/types/compile';
import devConfig from './dev';
import prodConfig from './prod';

/** The workspace's shared package: types, zod contracts and pure rules, compiled from its TypeScript sources. */
const SHARED_SRC = path.resolve(__dirname, '../../shared/src');

/**
 * Build-time constants. The WeChat simulator helpers (typed-in test phone numbers, simulated logins) exist
 * only in H5 builds: a weapp build always gets JIFEN_SIM false and JIFEN_WECHAT_SIM '', so the minifier drops
 * that code and its strings from the mini-program (a test checks dist/weapp for them).
 */
function defineConstants(): Record<string, string> {
  const isH5 = process.env.TARO_ENV === 'h5';
  const simBase = isH5 ? (process.env.JIFEN_WECHAT_SIM ?? 'http://127.0.0.1:3100') : '';
  return {
    JIFEN_API_BASE: JSON.stringify(process.env.JIFEN_API_BASE ?? 'http://127.0.0.1:3000'),
    JIFEN_WECHAT_SIM: JSON.stringify(simBase),
    JIFEN_SIM: JSON.stringify(isH5 && simBase !== ''),
  };
}

type Chain = Parameters<NonNullable<NonNullable<IProjectConfig<'webpack5'>['mini']>['webpackChain']>>[0];

/** shared/ is TypeScript and zod ships modern syntax: both go through babel like our own sources. */
const compile = { include: [SHARED_SRC, (file: string) => /[\\/]node_modules[\\/].*zod[\\/]/.test(file)] };

/** Resolve `@jifen/shared` to its sources and let its NodeNext-style `./x.js` imports find `./x.ts`. */
function sharedResolution(chain: Chain): void {
  chain.resolve.alias.set('@jifen/shared', path.join(SHARED_SRC, 'index.ts'));
  chain.resolve.merge({ extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } });
  // shared/ is pure (no module-level side effects): let webpack drop the contracts and rules a page never uses.
  const pure = chain.module.rule('jifen-shared-pure').test(/\.ts$/).include.add(SHARED_SRC).end();
  // webpack-chain has the method; its type definitions do not.
  (pure as unknown as { sideEffects(value: boolean): unknown }).sideEffects(false);
}

export default defineConfig<'webpack5'>(async (merge) => {
  const baseConfig: UserConfigExport<'webpack5'> = {
    projectName: 'jifen-miniprogram',
    date: '2026-11-22',
    designWidth: 750,
    deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 },
    sourceRoot: 'src',
    // JIFEN_OUTPUT_ROOT: another output folder (the browser tests cache their own H5 build there).
    outputRoot: process.env.JIFEN_OUTPUT_ROOT || `dist/${process.env.TARO_ENV}`,
    plugins: [],
    defineConstants: defineConstants(),
    copy: { patterns: [], options: {} },
    framework: 'react',
    // Prebundling would treat the workspace package @jifen/shared as a plain dependency.
    compiler: { type: 'webpack5', prebundle: { enable: false } },
    cache: { enable: false },
    mini: {
      compile,
      postcss: {
        pxtransform: { enable: true, config: {} },
        cssModules: { enable: false, config: { namingPattern: 'module', generateScopedName: '[name]__[local]___[hash:base64:5]' } },
      },
      webpackChain(chain) {
        sharedResolution(chain);
      },
    },
    h5: {
      compile,
      publicPath: '/',
      staticDirectory: 'static',
      router: { mode: 'hash' },
      output: { filename: 'js/[name].[hash:8].js', chunkFilename: 'js/[name].[chunkhash:8].js' },
      miniCssExtractPluginOption: { ignoreOrder: true, filename: 'css/[name].[hash].css', chunkFilename: 'css/[name].[chunkhash].css' },
      postcss: {
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false, config: { namingPattern: 'module', generateScopedName: '[name]__[local]___[hash:base64:5]' } },
      },
      webpackChain(chain) {
        sharedResolution(chain);
        // Taro splits only initial chunks on H5, so every lazily loaded page carried its own copy of React,
        // zod and our services; share them between pages instead.
        chain.optimization.splitChunks({ ...(chain.optimization.get('splitChunks') as object), chunks: 'all' });
      },
    },
  };
  if (process.env.NODE_ENV === 'development') return merge({}, baseConfig, devConfig);
  return merge({}, baseConfig, prodConfig);
});
