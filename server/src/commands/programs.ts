/** A program's stored configuration, parsed with the shared schemas. */
import { ExpiryPolicySchema, TierSetSchema, checkRuleSet, expiresAt, parseOnce, toIsoUtc } from '@jifen/shared';
import type { ExpiryPolicy, RuleSet, TierSet } from '@jifen/shared';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { findProgramById } from '../repositories/org.repository.js';
import type { ProgramRow } from '../repositories/org.repository.js';
import { findRuleSet } from '../repositories/rules.repository.js';
import type { RuleSetRow } from '../repositories/rules.repository.js';
import { TtlCache } from '../lib/ttl-cache.js';

/** At most this share of an order may be paid with points unless HQ sets the program's own. */
export const DEFAULT_MAX_POINTS_SHARE_PERCENT = 50;

export interface ProgramConfig {
  id: number;
  code: string;
  name: string;
  pointValueFen: number;
  expiry: ExpiryPolicy;
  returnWindowDays: number;
  tiers: TierSet;
  /** Most of an order (percent) that may be paid with points. */
  maxPointsSharePercent: number;
}

export function programConfig(row: ProgramRow): ProgramConfig {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    pointValueFen: row.point_value_fen,
    expiry: ExpiryPolicySchema.parse(JSON.parse(row.expiry_policy)),
    returnWindowDays: row.return_window_days,
    tiers: parseOnce(TierSetSchema, JSON.parse(row.tier_set), 'tier_set'),
    // Added by 0004 (ProgramHqColumns); SELECT * returns it, rows built by hand may not carry it.
    maxPointsSharePercent:
      (row as ProgramRow & { max_points_share_percent?: number }).max_points_share_percent ?? DEFAULT_MAX_POINTS_SHARE_PERCENT,
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

export interface ParsedRuleSet {
  id: number | null;
  version: number;
  rules: RuleSet;
}

const DEFAULT_RULES: ParsedRuleSet = { id: null, version: 0, rules: checkRuleSet({}) };
/** Published rule set versions never change, so each is parsed once per process. */
const ruleSets = new Map<number, ParsedRuleSet>();

/** The rules of a stored version, or the defaults (1 point per yuan) when none was ever published. */
export function ruleSetOf(row: RuleSetRow | undefined): ParsedRuleSet {
  if (!row) return DEFAULT_RULES;
  const cached = ruleSets.get(row.id);
  if (cached) return cached;
  const parsed = { id: row.id, version: row.version, rules: checkRuleSet(JSON.parse(row.rules)) };
  if (ruleSets.size > 1000) ruleSets.clear();
  ruleSets.set(row.id, parsed);
  return parsed;
}

/** A rule set version by id, parsed once (settlement looks up the version pinned on the order). */
export async function loadRuleSet(q: Kysely<Database>, id: number): Promise<ParsedRuleSet> {
  return ruleSets.get(id) ?? ruleSetOf(await findRuleSet(q, id));
}

/**
 * Program settings change rarely (HQ edits them); settlement reads them on every order. They are
 * kept parsed for a few seconds, so an edit takes effect within PROGRAM_CACHE_MS on every server.
 */
export const PROGRAM_CACHE_MS = 10_000;
const programs = new TtlCache<number, ProgramConfig>(PROGRAM_CACHE_MS);

export async function loadProgram(q: Kysely<Database>, id: number): Promise<ProgramConfig | undefined> {
  const hit = programs.get(id);
  if (hit) return hit;
  const row = await findProgramById(q, id);
  if (!row) return undefined;
  const config = programConfig(row);
  programs.set(id, config);
  return config;
}
