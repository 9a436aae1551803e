// @vitest-environment node
/** The built weapp package: within WeChat's size limits and free of the H5 sandbox's simulator code. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, packageSizes } from '../scripts/package-sizes.mjs';
import { ensureWeappBuild } from './support/build';

let dist = '';

beforeAll(async () => {
  dist = await ensureWeappBuild();
});

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

describe('weapp package', () => {
  it('main package ≤ 600 KB, each subpackage ≤ 2 MB, one subpackage per domain', () => {
    const report = packageSizes(dist);
    const main = report.packages.find((p) => p.name === 'main')!;
    expect(main.bytes).toBeLessThanOrEqual(LIMITS.main);
    for (const p of report.packages.filter((x) => x.name !== 'main')) expect(p.bytes, p.name).toBeLessThanOrEqual(LIMITS.subpackage);
    expect(report.packages.map((p) => p.name).sort()).toEqual(['exchange', 'main', 'me', 'pay', 'points', 'rewards', 'scan']);
    expect(report.ok).toBe(true);
  });

  it('contains none of the H5 sandbox helpers (typed-in phone, simulator control API)', () => {
    const js = allFiles(dist)
      .filter((f) => /\.(js|json|wxml)$/.test(f))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    for (const marker of ['测试手机号码', '__control', 'phone-code', 'openid-for-code', 'signup-sim-phone'])
      expect(js).not.toContain(marker);
    // …while the real phone button is there.
    expect(js).toContain('getPhoneNumber');
  });

  it('talks to the API base given at build time, never to a simulator', () => {
    const js = allFiles(dist)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(js).toContain(process.env.JIFEN_API_BASE ?? 'http://127.0.0.1:3000');
    expect(js).not.toContain('127.0.0.1:3100');
  });
});
