/** A program's stored configuration, parsed with the shared schemas. */
import { ExpiryPolicySchema, RuleSetSchema, TierSetSchema, expiresAt, toIsoUtc } from '@jifen/shared';
import type { ExpiryPolicy, RuleSet, TierSet } from '@jifen/shared';
import type { ProgramRow } from '../repositories/org.repository.js';
import type { RuleSetRow } from '../repositories/rules.repository.js';

export interface ProgramConfig {
  id: number;
  code: string;
  name: string;
  pointValueFen: number;
  expiry: ExpiryPolicy;
  returnWindowDays: number;
  tiers: TierSet;
}

export function programConfig(row: ProgramRow): ProgramConfig {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    pointValueFen: row.point_value_fen,
    expiry: ExpiryPolicySchema.parse(JSON.parse(row.expiry_policy)),
    returnWindowDays: row.return_window_days,
    tiers: TierSetSchema.parse(JSON.parse(row.tier_set)),
  };
}

/** When points earned at `earnedAt` expire under the program's policy (epoch ms), or null. */
export function expiryFor(program: ProgramConfig, earnedAt: number): number | null {
  const iso = expiresAt(program.expiry, toIsoUtc(earnedAt));
  return iso === null ? null : Date.parse(iso);
}

export function tierName(program: ProgramConfig, code: string): string {
  return program.tiers.tiers.find((t) => t.code === code)?.name ?? code;
}

export function lowestTier(program: ProgramConfig): string {
  const first = program.tiers.tiers[0];
  if (!first) throw new Error(`program ${program.code} has no tiers`);
  return first.code;
}

/** The rules of a stored version, or the defaults (1 point per yuan) when none was ever published. */
export function ruleSetOf(row: RuleSetRow | undefined): { id: number | null; version: number; rules: RuleSet } {
  if (!row) return { id: null, version: 0, rules: RuleSetSchema.parse({}) };
  return { id: row.id, version: row.version, rules: RuleSetSchema.parse(JSON.parse(row.rules)) };
}
