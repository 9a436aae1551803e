import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach, vi } from 'vitest';
import { resetTaroMock } from './taro-mock';

// Build-time constants (config/index.ts defines them for real builds): a weapp-like build by default;
// a test flips JIFEN_SIM to render the H5 sandbox's variant.
const g = globalThis as unknown as { JIFEN_API_BASE: string; JIFEN_WECHAT_SIM: string; JIFEN_SIM: boolean };

beforeEach(() => {
  g.JIFEN_API_BASE = 'http://api.test';
  g.JIFEN_WECHAT_SIM = '';
  g.JIFEN_SIM = false;
  resetTaroMock();
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});
