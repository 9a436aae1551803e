/// <reference types="@tarojs/taro" />

declare module '*.png';
declare module '*.svg';
declare module '*.scss';

/** Build-time constants (config/index.ts → defineConstants; vitest.config.ts sets them for tests). */
/** Base URL of the Jifen server, e.g. http://127.0.0.1:3000. */
declare const JIFEN_API_BASE: string;
/** The WeChat simulator's base URL in H5 sandbox builds; '' in every weapp build. */
declare const JIFEN_WECHAT_SIM: string;
/** True only in H5 builds wired to the WeChat simulator (typed-in test phone numbers, simulated logins). */
declare const JIFEN_SIM: boolean;

declare namespace NodeJS {
  interface ProcessEnv {
    NODE_ENV: 'development' | 'production' | 'test';
    TARO_ENV: 'weapp' | 'h5' | (string & {});
  }
}
