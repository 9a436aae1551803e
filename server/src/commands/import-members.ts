/**
 * Import of legacy members and their opening balances from CSV (columns: phone, name?, birthday?,
 * program?, openingBalance?, externalId — any order, case and `_` ignored in the header).
 *
 * Every row is validated on its own; a bad row is reported with its line and reason and the rest
 * go on. A dry run reads the database but writes nothing except the run's progress record, and
 * says what a real run would do. A real run is safe to repeat: the external id decides — a record
 * already imported changes nothing (the same phone and balance, else it is reported), a phone that
 * is already a member is linked to that member, otherwise the member is created (without signup
 * bonuses). The opening balance is an `adjust` credit keyed `import:<externalId>` in the ledger, so
 * even a run interrupted between the member and the credit completes on the next one without
 * crediting twice.
 */
import { BirthdaySchema, JifenError, PhoneSchema, toIsoUtc } from '@jifen/shared';
import type { ImportReport, ImportRowError, ImportRunView } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import { newId } from '../lib/ids.js';
import { appendAudit } from '../repositories/audit.repository.js';
import * as imports from '../repositories/import.repository.js';
import type { ImportRunRow } from '../repositories/import.repository.js';
import { ensureAccount, findMemberById, findMemberByPhoneHash } from '../repositories/member.repository.js';
import { defaultProgram, listPrograms } from '../repositories/org.repository.js';
import { parseCsv } from './import-csv.js';
import type { CsvRecord } from './import-csv.js';
import { credit } from './ledger.js';
import { registerMember } from './members.js';
import { expiryFor, lowestTier, programConfig } from './programs.js';
import type { ProgramConfig } from './programs.js';

export interface ImportDeps {
  db: Db;
  cipher: PersonalDataCipher;
  now: () => number;
}

export interface ImportOptions {
  dryRun: boolean;
  /** Who runs it, for the audit log and the run record: 'staff:<name>', 'cli:<user>'. */
  actor: string;
  requestId?: string | null;
  /** Hears the run as it goes (every PROGRESS_ROWS rows and at the end). */
  onProgress?: (run: ImportRunView) => void;
}

const COLUMNS = ['phone', 'name', 'birthday', 'program', 'openingbalance', 'externalid'] as const;
type Column = (typeof COLUMNS)[number];
const REQUIRED: Column[] = ['phone', 'externalid'];
const PROGRESS_ROWS = 500;
const FIRST_ERRORS = 100;
const MAX_OPENING_BALANCE = 100_000_000;

interface ValidRow {
  line: number;
  externalId: string;
  phone: string;
  name: string | null;
  birthday: string | null;
  program: ProgramConfig;
  openingBalance: number;
}

type Outcome = 'created' | 'linked' | 'unchanged';

class RowError extends Error {}

export function presentRun(r: ImportRunRow): ImportRunView {
  return {
    runId: r.id,
    actor: r.actor,
    dryRun: r.dry_run === 1,
    status: r.status,
    rows: r.rows_done,
    bad: r.bad,
    created: r.created,
    linked: r.linked,
    unchanged: r.unchanged,
    points: r.points,
    firstErrors: JSON.parse(r.first_errors) as ImportRowError[],
    startedAt: toIsoUtc(r.started_at),
    updatedAt: toIsoUtc(r.updated_at),
    finishedAt: r.finished_at === null ? null : toIsoUtc(r.finished_at),
  };
}

function headerIndex(header: CsvRecord): Map<Column, number> {
  const index = new Map<Column, number>();
  header.fields.forEach((raw, i) => {
    const name = raw
      .trim()
      .toLowerCase()
      .replace(/[\s_-]/g, '') as Column;
    if ((COLUMNS as readonly string[]).includes(name) && !index.has(name)) index.set(name, i);
  });
  const missing = REQUIRED.filter((c) => !index.has(c));
  if (missing.length) {
    throw new JifenError(
      'VALIDATION_FAILED',
      `line 1: the header must name ${missing.map((c) => (c === 'externalid' ? 'externalId' : c)).join(' and ')} (columns: phone, name, birthday, program, openingBalance, externalId)`,
    );
  }
  return index;
}

/** MM-DD from MM-DD, YYYY-MM-DD or YYYY/MM/DD; the year is not kept (birthday rules need none). */
function birthdayOf(raw: string): string {
  const m = /^(?:\d{4}[-/.])?(\d{1,2})[-/.](\d{1,2})$/.exec(raw);
  const mmdd = m ? `${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}` : raw;
  if (!BirthdaySchema.safeParse(mmdd).success) throw new RowError(`birthday "${raw}" is not a date (MM-DD or YYYY-MM-DD)`);
  return mmdd;
}

/**
 * Imports (or, dry, checks) the CSV text. Throws VALIDATION_FAILED for a file that cannot be read at
 * all (no header, an unclosed quote, the wrong encoding); row problems are in the report.
 */
export async function importMembers(deps: ImportDeps, text: AsyncIterable<string>, opts: ImportOptions): Promise<ImportReport> {
  const db = deps.db.kysely;
  const started = deps.now();
  const run: ImportRunRow = {
    id: newId(),
    actor: opts.actor.slice(0, 64),
    dry_run: opts.dryRun ? 1 : 0,
    status: 'running',
    rows_done: 0,
    bad: 0,
    created: 0,
    linked: 0,
    unchanged: 0,
    points: 0,
    first_errors: '[]',
    request_id: opts.requestId ?? null,
    started_at: started,
    updated_at: started,
    finished_at: null,
  };
  await imports.insertImportRun(db, run);
  const errors: ImportRowError[] = [];
  const programs = (await listPrograms(db)).map(programConfig);
  const defaultRow = await defaultProgram(db);
  const fallback = defaultRow ? programConfig(defaultRow) : undefined;
  // Within one file: the first line of each external id and phone (later repeats are bad rows).
  const seenIds = new Map<string, number>();
  const seenPhones = new Map<number, number>();
  const save = async (status: string) => {
    run.status = status;
    run.updated_at = deps.now();
    if (status !== 'running') run.finished_at = run.updated_at;
    run.first_errors = JSON.stringify(errors.slice(0, FIRST_ERRORS));
    await imports.updateImportRun(db, run.id, run);
    opts.onProgress?.(presentRun(run));
  };

  try {
    let index: Map<Column, number> | undefined;
    let headerLength = 0;
    for await (const record of parseCsv(text)) {
      if (!index) {
        index = headerIndex(record);
        headerLength = record.fields.length;
        continue;
      }
      run.rows_done += 1;
      const cell = (c: Column) => {
        const i = index!.get(c);
        return i === undefined ? '' : (record.fields[i] ?? '').trim();
      };
      const externalId = cell('externalid') || null;
      try {
        // More values than the header has columns: most often a comma inside an unquoted value.
        if (record.fields.length > headerLength && record.fields.slice(headerLength).some((f) => f.trim() !== ''))
          throw new RowError(
            `${record.fields.length} values, but the header has ${headerLength} columns (quote values that contain commas)`,
          );
        const row = validate(record, cell, programs, fallback);
        const firstId = seenIds.get(row.externalId);
        if (firstId !== undefined) throw new RowError(`externalId ${row.externalId} repeats line ${firstId}`);
        const phoneKey = Number(row.phone);
        const firstPhone = seenPhones.get(phoneKey);
        if (firstPhone !== undefined) throw new RowError(`phone repeats line ${firstPhone}`);
        seenIds.set(row.externalId, row.line);
        seenPhones.set(phoneKey, row.line);
        const { outcome, points } = await importRow(deps, row, run.id, opts);
        run[outcome] += 1;
        run.points += points;
      } catch (e) {
        if (!(e instanceof RowError) && !(e instanceof JifenError)) throw e;
        run.bad += 1;
        errors.push({ line: record.line, externalId, reason: e.message });
      }
      if (run.rows_done % PROGRESS_ROWS === 0) await save('running');
    }
    if (!index) throw new JifenError('VALIDATION_FAILED', 'the file is empty: it needs a header line and rows');
  } catch (e) {
    errors.push({ line: 0, externalId: null, reason: e instanceof Error ? e.message : String(e) });
    await save('failed').catch(() => undefined);
    throw e;
  }
  await save('done');
  if (!opts.dryRun) {
    await appendAudit(db, {
      actor: opts.actor,
      action: 'member.import',
      target: `import:${run.id}`,
      after: { rows: run.rows_done, created: run.created, linked: run.linked, unchanged: run.unchanged, points: run.points, bad: run.bad },
      requestId: opts.requestId ?? null,
      at: deps.now(),
    });
  }
  return {
    runId: run.id,
    dryRun: opts.dryRun,
    status: 'done',
    rows: run.rows_done,
    created: run.created,
    linked: run.linked,
    unchanged: run.unchanged,
    points: run.points,
    bad: run.bad,
    errors,
  };
}

function validate(
  record: CsvRecord,
  cell: (c: Column) => string,
  programs: ProgramConfig[],
  fallback: ProgramConfig | undefined,
): ValidRow {
  const externalId = cell('externalid');
  if (!externalId) throw new RowError('externalId is required');
  if (externalId.length > 64) throw new RowError('externalId is longer than 64 characters');
  const phoneRaw = cell('phone');
  if (!phoneRaw) throw new RowError('phone is required');
  const phone = PhoneSchema.safeParse(phoneRaw);
  // Not echoed: a mistyped number may still be most of someone's phone, and the report is kept and shared.
  if (!phone.success) throw new RowError(`phone (${phoneRaw.length} characters) is not an 11-digit mainland mobile number`);
  // Line breaks inside a quoted name (a spreadsheet cell typed over two lines) become spaces.
  const name = cell('name').replace(/\s+/g, ' ') || null;
  if (name !== null && name.length > 64) throw new RowError('name is longer than 64 characters');
  // eslint-disable-next-line no-control-regex
  if (name !== null && /[\u0000-\u001f\u007f]/.test(name)) throw new RowError('name contains control characters');
  const birthdayRaw = cell('birthday');
  const birthday = birthdayRaw ? birthdayOf(birthdayRaw) : null;
  const programCode = cell('program');
  const program = programCode ? programs.find((p) => p.code === programCode) : fallback;
  if (!program) throw new RowError(programCode ? `unknown program ${programCode}` : 'no loyalty program is configured');
  const balanceRaw = cell('openingbalance').replace(/^\+/, '');
  if (balanceRaw && !/^\d+$/.test(balanceRaw)) throw new RowError(`openingBalance "${balanceRaw}" is not a whole number of points`);
  const openingBalance = balanceRaw ? Number(balanceRaw) : 0;
  if (openingBalance > MAX_OPENING_BALANCE) throw new RowError(`openingBalance is above ${MAX_OPENING_BALANCE}`);
  return { line: record.line, externalId, phone: phone.data, name, birthday, program, openingBalance };
}

async function importRow(
  deps: ImportDeps,
  row: ValidRow,
  runId: number,
  opts: ImportOptions,
): Promise<{ outcome: Outcome; points: number }> {
  const db = deps.db.kysely;
  const now = deps.now();
  const phoneHash = deps.cipher.lookupHash(row.phone);
  const mapped = await imports.findImportByExternalId(db, row.externalId);
  if (mapped) {
    if (mapped.phone_hash === '') throw new RowError(`the member imported as ${row.externalId} has been erased`);
    if (mapped.phone_hash !== phoneHash) throw new RowError(`externalId ${row.externalId} was imported with another phone`);
    if (mapped.program_id !== row.program.id) throw new RowError(`externalId ${row.externalId} was imported into another program`);
    if (mapped.opening_balance !== row.openingBalance)
      throw new RowError(`openingBalance ${row.openingBalance} differs from the ${mapped.opening_balance} imported before`);
    // A rerun: the credit replays (or completes one an interrupted run never wrote).
    if (!opts.dryRun) await creditOpening(deps, mapped.member_id, row, opts.actor, now);
    return { outcome: 'unchanged', points: 0 };
  }
  const importedPhone = await imports.findImportByPhoneHash(db, phoneHash);
  if (importedPhone) throw new RowError(`this phone was imported as externalId ${importedPhone.external_id}`);
  const existing = await findMemberByPhoneHash(db, phoneHash);
  if (existing && existing.status !== 'active') throw new RowError(`the member with this phone is ${existing.status}`);
  const outcome: Outcome = existing ? 'linked' : 'created';
  if (opts.dryRun) return { outcome, points: row.openingBalance };
  const memberId =
    existing?.id ??
    (
      await registerMember(
        { db: deps.db, cipher: deps.cipher, now: () => now },
        {
          phone: row.phone,
          ...(row.name ? { name: row.name } : {}),
          ...(row.birthday ? { birthday: row.birthday } : {}),
          grantBonuses: false,
        },
      )
    ).id;
  await imports.insertMemberImport(db, {
    external_id: row.externalId,
    member_id: memberId,
    phone_hash: phoneHash,
    program_id: row.program.id,
    opening_balance: row.openingBalance,
    run_id: runId,
    created_at: now,
  });
  await creditOpening(deps, memberId, row, opts.actor, now);
  return { outcome, points: row.openingBalance };
}

async function creditOpening(deps: ImportDeps, memberId: number, row: ValidRow, actor: string, now: number): Promise<void> {
  if (row.openingBalance <= 0) return;
  const member = await findMemberById(deps.db.kysely, memberId);
  if (!member) throw new RowError(`member ${memberId} not found`);
  const account = await ensureAccount(deps.db.kysely, memberId, row.program.id, lowestTier(row.program), now);
  await credit(
    { db: deps.db, now: () => now },
    {
      source: 'import',
      key: `import:${row.externalId}`,
      fingerprint: { externalId: row.externalId, program: row.program.code, points: row.openingBalance },
    },
    {
      accountId: account.id,
      points: row.openingBalance,
      kind: 'adjust',
      expiresAt: expiryFor(row.program, now),
      reason: '历史积分迁入',
      actor: actor.slice(0, 64),
    },
  );
}
