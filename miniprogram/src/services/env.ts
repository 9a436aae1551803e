/** Build-time settings (config/index.ts defineConstants; tests set the same globals). */

/** The Jifen server, without a trailing slash. */
export function apiBase(): string {
  return JIFEN_API_BASE.replace(/\/+$/, '');
}

/** The WeChat simulator in H5 sandbox builds; '' in weapp builds. */
export function simBase(): string {
  return JIFEN_WECHAT_SIM.replace(/\/+$/, '');
}

export const IS_WEAPP = process.env.TARO_ENV === 'weapp';
export const IS_H5 = process.env.TARO_ENV === 'h5';
