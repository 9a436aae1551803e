/**
 * Versioned configuration with a draft → publish step: programs (point value, expiry policy, return
 * window, share payable with points), brands, stores, a program's tier set and exchange rates
 * between programs. A draft is edited freely; publishing applies it to the live tables, in one
 * transaction with its audit row, and it becomes the object's next version — immutable from then on.
 * A draft based on a version that is no longer the latest is stale (DRAFT_STALE): two people
 * editing the same object cannot silently overwrite each other.
 *
 * Programs are cached for PROGRAM_CACHE_MS by settlement, so a published program change reaches
 * every server within that time.
 */
import { CONFIG_BODY_SCHEMAS, DEFAULT_TIERS, JifenError, TierSetSchema, parseOrThrow } from '@jifen/shared';
import type { ConfigKind, CreateConfigDraftRequest, DraftListQuery, DraftView } from '@jifen/shared';
import type { z } from 'zod';
import { inTransaction, isDuplicateKeyError } from '../db/dialect.js';
import type { Trx } from '../db/dialect.js';
import { newId } from '../lib/ids.js';
import * as config from '../repositories/hq-config.repository.js';
import type { DraftRow } from '../repositories/hq-config.repository.js';
import * as org from '../repositories/hq-org.repository.js';
import { actorName, iso, record } from './hq-common.js';
import type { HqActor, HqDeps } from './hq-common.js';

export const CONFIG_KINDS: readonly ConfigKind[] = ['program', 'brand', 'store', 'tiers', 'exchange_rate'];

type Bodies = { [K in ConfigKind]: z.output<(typeof CONFIG_BODY_SCHEMAS)[K]> };

export function presentDraft(row: DraftRow): DraftView {
  return {
    id: row.id,
    kind: row.kind as DraftView['kind'],
    target: row.target,
    status: row.status as DraftView['status'],
    baseVersion: row.base_version,
    version: row.version,
    body: JSON.parse(row.body) as unknown,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    publishedBy: row.published_by,
    publishedAt: iso(row.published_at),
    effectiveFrom: iso(row.effective_from),
  };
}

/** Parses a draft body with its kind's schema; the error names the field under `body.`. */
function parseBody<K extends ConfigKind>(kind: K, body: unknown): Bodies[K] {
  try {
    return parseOrThrow(CONFIG_BODY_SCHEMAS[kind], body, 'body') as Bodies[K];
  } catch (e) {
    if (e instanceof JifenError && e.code === 'VALIDATION_FAILED')
      throw new JifenError('VALIDATION_FAILED', e.message, e.field ? `body.${e.field}` : 'body');
    throw e;
  }
}

/**
 * Opens a draft for one object (new or existing), based on its latest published version.
 * Throws VALIDATION_FAILED, PROGRAM_NOT_FOUND / BRAND_NOT_FOUND (references), CONFIG_CONFLICT.
 */
export async function createConfigDraft(deps: HqDeps, actor: HqActor, req: CreateConfigDraftRequest): Promise<DraftView> {
  const now = deps.now();
  const db = deps.db.kysely;
  await check(db, req.kind, req.target, req.body);
  const row: DraftRow = {
    id: newId(),
    kind: req.kind,
    target: req.target,
    status: 'draft',
    base_version: await config.latestPublishedVersion(db, req.kind, req.target),
    version: null,
    body: JSON.stringify(req.body),
    created_by: actorName(actor),
    created_at: now,
    updated_at: now,
    published_by: null,
    published_at: null,
    effective_from: null,
    published_ref: null,
  };
  await config.insertDraft(db, row);
  await record(db, actor, now, {
    action: 'config.draft.create',
    target: `${req.kind}:${req.target}`,
    after: { draftId: row.id, body: req.body },
  });
  return presentDraft(row);
}

export async function getDraft(deps: HqDeps, id: number, kinds: readonly string[]): Promise<DraftRow> {
  const row = await config.findDraft(deps.db.kysely, id);
  if (!row || !kinds.includes(row.kind)) throw new JifenError('DRAFT_NOT_FOUND', `draft ${id} not found`);
  return row;
}

/** Replaces a draft's body. Throws DRAFT_NOT_FOUND, DRAFT_NOT_EDITABLE (published or discarded), VALIDATION_FAILED. */
export async function updateConfigDraft(deps: HqDeps, actor: HqActor, id: number, body: unknown): Promise<DraftView> {
  const now = deps.now();
  const row = await getDraft(deps, id, CONFIG_KINDS);
  if (row.status !== 'draft') throw new JifenError('DRAFT_NOT_EDITABLE', `draft ${id} is ${row.status}: open a new draft`);
  const kind = row.kind as ConfigKind;
  const parsed = parseBody(kind, body);
  await check(deps.db.kysely, kind, row.target, parsed);
  const json = JSON.stringify(parsed);
  if (!(await config.updateDraftIfOpen(deps.db.kysely, id, { body: json, updated_at: now })))
    throw new JifenError('DRAFT_NOT_EDITABLE', `draft ${id} was published or discarded meanwhile`);
  await record(deps.db.kysely, actor, now, {
    action: 'config.draft.update',
    target: `${row.kind}:${row.target}`,
    before: { draftId: id, body: JSON.parse(row.body) as unknown },
    after: { draftId: id, body: parsed },
  });
  return presentDraft({ ...row, body: json, updated_at: now });
}

export async function discardDraft(deps: HqDeps, actor: HqActor, id: number, kinds: readonly string[]): Promise<DraftView> {
  const now = deps.now();
  const row = await getDraft(deps, id, kinds);
  if (row.status !== 'draft') throw new JifenError('DRAFT_NOT_EDITABLE', `draft ${id} is ${row.status}`);
  if (!(await config.updateDraftIfOpen(deps.db.kysely, id, { status: 'discarded', updated_at: now })))
    throw new JifenError('DRAFT_NOT_EDITABLE', `draft ${id} was published or discarded meanwhile`);
  await record(deps.db.kysely, actor, now, { action: 'config.draft.discard', target: `${row.kind}:${row.target}`, after: { draftId: id } });
  return presentDraft({ ...row, status: 'discarded', updated_at: now });
}

/**
 * Publishes a draft: applies it to the live tables and records it as the object's next version, in
 * one transaction with the audit row. Throws DRAFT_NOT_FOUND, DRAFT_NOT_EDITABLE, DRAFT_STALE,
 * CONFIG_CONFLICT, PROGRAM_NOT_FOUND, BRAND_NOT_FOUND, VALIDATION_FAILED.
 */
export async function publishConfigDraft(deps: HqDeps, actor: HqActor, id: number): Promise<DraftView> {
  await getDraft(deps, id, CONFIG_KINDS);
  try {
    return await inTransaction(deps.db, async (trx) => {
      const now = deps.now();
      const row = await config.lockDraft(trx, deps.db.dialect, id);
      if (!row) throw new JifenError('DRAFT_NOT_FOUND', `draft ${id} not found`);
      if (row.status !== 'draft') throw new JifenError('DRAFT_NOT_EDITABLE', `draft ${id} is ${row.status}`);
      const latest = await config.latestPublishedVersion(trx, row.kind, row.target);
      if (latest !== row.base_version)
        throw new JifenError('DRAFT_STALE', `version ${latest} was published after this draft was opened from version ${row.base_version}`);
      const kind = row.kind as ConfigKind;
      const body = parseBody(kind, JSON.parse(row.body));
      const before = await apply(trx, kind, row.target, body, now);
      const version = latest + 1;
      await config.updateDraftIfOpen(trx, id, {
        status: 'published',
        version,
        published_by: actorName(actor),
        published_at: now,
        updated_at: now,
      });
      await record(trx, actor, now, {
        action: `config.${kind}.publish`,
        target: `${kind}:${row.target}`,
        before: before ?? undefined,
        after: { version, ...body },
      });
      return presentDraft({ ...row, status: 'published', version, published_by: actorName(actor), published_at: now, updated_at: now });
    });
  } catch (e) {
    // Two drafts of one object published at once: the unique (kind, target, version) decides.
    if (isDuplicateKeyError(e)) throw new JifenError('DRAFT_STALE', 'another version of this object was published at the same time');
    throw e;
  }
}

type Reader = Parameters<typeof org.programByCode>[0];

/** Checks a draft's references and invariants against the live configuration (reads only). */
async function check(db: Reader, kind: ConfigKind, target: string, body: unknown): Promise<void> {
  switch (kind) {
    case 'program': {
      const b = body as Bodies['program'];
      const existing = await org.programByCode(db, target);
      if (existing && b.tiers)
        throw new JifenError('CONFIG_CONFLICT', 'an existing program changes its tiers through a tiers draft', 'body.tiers');
      if (existing && b.isDefault === false && existing.is_default === 1)
        throw new JifenError('CONFIG_CONFLICT', 'make another program the default instead', 'body.isDefault');
      return;
    }
    case 'brand': {
      const b = body as Bodies['brand'];
      const program = await org.programByCode(db, b.programCode);
      if (!program) throw new JifenError('PROGRAM_NOT_FOUND', `program ${b.programCode} not found`, 'body.programCode');
      const existing = await org.brandByCode(db, target);
      if (existing && existing.program_id !== program.id)
        throw new JifenError('CONFIG_CONFLICT', 'a brand stays in its program (its members’ points are there)', 'body.programCode');
      return;
    }
    case 'store': {
      const b = body as Bodies['store'];
      if (!(await org.brandByCode(db, b.brandCode)))
        throw new JifenError('BRAND_NOT_FOUND', `brand ${b.brandCode} not found`, 'body.brandCode');
      return;
    }
    case 'tiers': {
      const program = await org.programByCode(db, target);
      if (!program) throw new JifenError('PROGRAM_NOT_FOUND', `program ${target} not found`, 'target');
      const codes = new Set((body as Bodies['tiers']).tiers.map((t) => t.code));
      const missing = (await org.tierCodesInUse(db, program.id)).filter((c) => !codes.has(c));
      if (missing.length)
        throw new JifenError('CONFIG_CONFLICT', `members hold tier ${missing.join(', ')}: a new tier set must keep it`, 'body.tiers');
      return;
    }
    case 'exchange_rate': {
      const [from, to] = target.split('>') as [string, string];
      if (!(await org.programByCode(db, from))) throw new JifenError('PROGRAM_NOT_FOUND', `program ${from} not found`, 'target');
      if (!(await org.programByCode(db, to))) throw new JifenError('PROGRAM_NOT_FOUND', `program ${to} not found`, 'target');
      return;
    }
  }
}

/** Applies a published body to the live tables; returns the state before (null for a new object). */
async function apply(trx: Trx, kind: ConfigKind, target: string, body: unknown, now: number): Promise<unknown> {
  await check(trx, kind, target, body);
  switch (kind) {
    case 'program': {
      const b = body as Bodies['program'];
      const existing = await org.programByCode(trx, target);
      const fields = {
        name: b.name,
        point_value_fen: b.pointValueFen,
        expiry_policy: JSON.stringify(b.expiryPolicy),
        return_window_days: b.returnWindowDays,
        max_points_share_percent: b.maxPointsSharePercent,
      };
      let id: number;
      if (existing) {
        id = existing.id;
        await org.updateProgram(trx, id, { ...fields, ...(b.isDefault ? { is_default: 1 } : {}) });
      } else {
        id = newId();
        const first = (await org.allPrograms(trx)).length === 0;
        const tiers = b.tiers ?? DEFAULT_TIERS;
        await org.insertProgram(trx, {
          id,
          code: target,
          ...fields,
          tier_set: JSON.stringify(tiers),
          is_default: b.isDefault || first ? 1 : 0,
          created_at: now,
        });
      }
      if (b.isDefault) await org.clearDefaultExcept(trx, id);
      return existing ? programBody(existing) : null;
    }
    case 'brand': {
      const b = body as Bodies['brand'];
      const existing = await org.brandByCode(trx, target);
      const program = (await org.programByCode(trx, b.programCode))!;
      if (existing) await org.updateBrand(trx, existing.id, { name: b.name });
      else await org.insertBrand(trx, { id: newId(), code: target, name: b.name, program_id: program.id, created_at: now });
      return existing ? { name: existing.name, programCode: b.programCode } : null;
    }
    case 'store': {
      const b = body as Bodies['store'];
      const existing = await org.storeByCode(trx, target);
      const brand = (await org.brandByCode(trx, b.brandCode))!;
      const before = existing ? { name: existing.name, brandId: existing.brand_id, address: existing.address } : null;
      if (existing) await org.updateStore(trx, existing.id, { name: b.name, brand_id: brand.id, address: b.address });
      else await org.insertStore(trx, { id: newId(), code: target, name: b.name, brand_id: brand.id, address: b.address, created_at: now });
      return before;
    }
    case 'tiers': {
      const program = (await org.programByCode(trx, target))!;
      const tiers = TierSetSchema.parse(body);
      await org.updateProgram(trx, program.id, { tier_set: JSON.stringify(tiers) });
      return JSON.parse(program.tier_set) as unknown;
    }
    case 'exchange_rate': {
      const b = body as Bodies['exchange_rate'];
      const [fromCode, toCode] = target.split('>') as [string, string];
      const from = (await org.programByCode(trx, fromCode))!;
      const to = (await org.programByCode(trx, toCode))!;
      const existing = await org.findExchangeRate(trx, from.id, to.id);
      await org.upsertExchangeRate(
        trx,
        {
          from_program_id: from.id,
          to_program_id: to.id,
          from_points: b.fromPoints,
          to_points: b.toPoints,
          enabled: b.enabled ? 1 : 0,
          updated_at: now,
        },
        existing !== undefined,
      );
      return existing ? { fromPoints: existing.from_points, toPoints: existing.to_points, enabled: existing.enabled === 1 } : null;
    }
  }
}

function programBody(p: Awaited<ReturnType<typeof org.programByCode>> & object) {
  return {
    name: p.name,
    pointValueFen: p.point_value_fen,
    expiryPolicy: JSON.parse(p.expiry_policy) as unknown,
    returnWindowDays: p.return_window_days,
    maxPointsSharePercent: p.max_points_share_percent,
    isDefault: p.is_default === 1,
  };
}

export async function listConfigDrafts(deps: HqDeps, query: DraftListQuery, kinds: readonly string[]): Promise<DraftView[]> {
  if (query.kind && !kinds.includes(query.kind)) return [];
  return (await config.listDrafts(deps.db.kysely, query, kinds)).map(presentDraft);
}

export async function configVersions(deps: HqDeps, kind: string, target: string): Promise<DraftView[]> {
  return (await config.versionsOf(deps.db.kysely, kind, target)).map(presentDraft);
}

/** The live configuration, with the version each object is at (0: never changed through a draft). */
export async function liveConfiguration(deps: HqDeps, kind: 'programs' | 'brands' | 'stores' | 'exchange_rates') {
  const db = deps.db.kysely;
  switch (kind) {
    case 'programs': {
      const versions = await config.publishedVersions(db, 'program');
      const tierVersions = await config.publishedVersions(db, 'tiers');
      return (await org.allPrograms(db)).map((p) => ({
        code: p.code,
        ...programBody(p),
        tiers: JSON.parse(p.tier_set) as unknown,
        version: versions.get(p.code) ?? 0,
        tiersVersion: tierVersions.get(p.code) ?? 0,
        createdAt: iso(p.created_at),
      }));
    }
    case 'brands': {
      const versions = await config.publishedVersions(db, 'brand');
      return (await org.allBrands(db)).map((b) => ({
        code: b.code,
        name: b.name,
        programCode: b.program_code,
        version: versions.get(b.code) ?? 0,
        createdAt: iso(b.created_at),
      }));
    }
    case 'stores': {
      const versions = await config.publishedVersions(db, 'store');
      return (await org.allStores(db)).map((s) => ({
        code: s.code,
        name: s.name,
        brandCode: s.brand_code,
        address: s.address,
        version: versions.get(s.code) ?? 0,
        createdAt: iso(s.created_at),
      }));
    }
    case 'exchange_rates': {
      const versions = await config.publishedVersions(db, 'exchange_rate');
      return (await org.allExchangeRates(db)).map((r) => ({
        from: r.from_code,
        to: r.to_code,
        fromPoints: r.from_points,
        toPoints: r.to_points,
        enabled: r.enabled === 1,
        version: versions.get(`${r.from_code}>${r.to_code}`) ?? 0,
        updatedAt: iso(r.updated_at),
      }));
    }
  }
}
