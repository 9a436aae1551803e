/**
 * China local time (Asia/Shanghai) without a timezone database.
 *
 * China has used UTC+8 all year round since 1991 (no daylight saving), so local wall time is the UTC
 * instant shifted by a fixed 8 hours. We deliberately avoid `Intl` and timezone data: the kiosk, the
 * mini-program and the server run on runtimes with different (or missing) ICU data, and rules such as
 * "member day is Wednesday" or "expires at the end of 2026" must give the same answer on all of them.
 *
 * Instants cross the API as ISO-8601 strings that carry an offset (`Z` or `+08:00`); a string without
 * an offset would be read in the host's local zone, which differs between machines, so it is rejected.
 */
import { z } from 'zod';
import { JifenError } from '../errors.js';

/** Asia/Shanghai offset from UTC, in milliseconds. Fixed: no DST. */
export const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** An ISO-8601 instant with an explicit offset, e.g. `2026-11-22T15:59:00Z` or `2026-11-22T23:59:00+08:00`. */
export const IsoInstantSchema = z.iso.datetime({ offset: true });

/** Wall-clock parts of an instant in China local time. `weekday` is ISO: 1 = Monday … 7 = Sunday. */
export interface ChinaLocalParts {
  year: number;
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/**
 * Milliseconds since the epoch for an ISO instant.
 * @throws JifenError VALIDATION_FAILED if `iso` is not an ISO-8601 instant with an offset.
 */
export function parseInstant(iso: string): number {
  if (!IsoInstantSchema.safeParse(iso).success) {
    throw new JifenError('VALIDATION_FAILED', `not an ISO-8601 instant with offset: ${String(iso)}`);
  }
  return Date.parse(iso);
}

/**
 * Formats epoch milliseconds as a UTC ISO string with milliseconds (`…T15:59:59.999Z`).
 * @throws JifenError VALIDATION_FAILED if `ms` is not a representable integer instant.
 */
export function toIsoUtc(ms: number): string {
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > 8.64e15) {
    throw new JifenError('VALIDATION_FAILED', `not a valid instant: ${ms}`);
  }
  return new Date(ms).toISOString();
}

/** True for Gregorian leap years. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Number of days in a month (month 1..12).
 * @throws JifenError VALIDATION_FAILED if month is not an integer 1..12.
 */
export function daysInMonth(year: number, month: number): number {
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new JifenError('VALIDATION_FAILED', `month must be 1..12, got ${month}`);
  }
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Wall-clock parts of `iso` in China local time.
 * @throws JifenError VALIDATION_FAILED if `iso` is not an ISO instant with an offset.
 */
export function chinaLocalParts(iso: string): ChinaLocalParts {
  return partsFromMs(parseInstant(iso));
}

function partsFromMs(ms: number): ChinaLocalParts {
  // Shift the instant by +8h and read it back with the UTC getters: that is China wall time.
  const d = new Date(ms + CHINA_OFFSET_MS);
  const utcDay = d.getUTCDay(); // 0 = Sunday
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: utcDay === 0 ? 7 : utcDay,
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}

/**
 * The UTC ISO instant of a China local wall time (month 1..12).
 * @throws JifenError VALIDATION_FAILED if a part is out of range (e.g. 2026-02-30) or the year is not 1..9999.
 */
export function chinaInstant(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millisecond = 0): string {
  const ok =
    Number.isInteger(year) &&
    year >= 1 &&
    year <= 9999 &&
    Number.isInteger(day) &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    isIntIn(hour, 0, 23) &&
    isIntIn(minute, 0, 59) &&
    isIntIn(second, 0, 59) &&
    isIntIn(millisecond, 0, 999);
  if (!ok) {
    throw new JifenError(
      'VALIDATION_FAILED',
      `invalid China local time ${year}-${month}-${day} ${hour}:${minute}:${second}.${millisecond}`,
    );
  }
  // setUTCFullYear rather than Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, millisecond);
  return toIsoUtc(d.getTime() - CHINA_OFFSET_MS);
}

function isIntIn(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/**
 * China local calendar date of an instant, `YYYY-MM-DD`.
 * @throws JifenError VALIDATION_FAILED if `iso` is not an ISO instant with an offset.
 */
export function chinaDate(iso: string): string {
  const p = chinaLocalParts(iso);
  return `${String(p.year).padStart(4, '0')}-${pad2(p.month)}-${pad2(p.day)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * First instant (00:00:00.000 local) of the China local day containing `iso`, as a UTC ISO string.
 * @throws JifenError VALIDATION_FAILED if `iso` is not an ISO instant with an offset.
 */
export function chinaDayStart(iso: string): string {
  const local = parseInstant(iso) + CHINA_OFFSET_MS;
  const localMidnight = local - mod(local, DAY_MS);
  return toIsoUtc(localMidnight - CHINA_OFFSET_MS);
}

/**
 * Last millisecond (23:59:59.999 local) of the China local day containing `iso`, as a UTC ISO string.
 * @throws JifenError VALIDATION_FAILED if `iso` is not an ISO instant with an offset.
 */
export function chinaDayEnd(iso: string): string {
  return toIsoUtc(parseInstant(chinaDayStart(iso)) + DAY_MS - 1);
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/**
 * The same China local wall time `months` calendar months later (negative goes back). When the target
 * month is shorter, the day is clamped to its last day (Jan 31 + 1 month → Feb 28, or Feb 29 in a leap
 * year), which is what members expect from "valid for N months".
 * @throws JifenError VALIDATION_FAILED if `iso` is invalid, `months` is not a safe integer, or the result
 *   falls outside years 1..9999.
 */
export function addMonthsChina(iso: string, months: number): string {
  if (!Number.isSafeInteger(months)) {
    throw new JifenError('VALIDATION_FAILED', `months must be an integer, got ${months}`);
  }
  const p = chinaLocalParts(iso);
  const total = p.year * 12 + (p.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = mod(total, 12) + 1;
  if (year < 1 || year > 9999) {
    throw new JifenError('VALIDATION_FAILED', `addMonthsChina out of range: ${iso} + ${months} months`);
  }
  const day = Math.min(p.day, daysInMonth(year, month));
  return chinaInstant(year, month, day, p.hour, p.minute, p.second, p.millisecond);
}

/**
 * Minutes since local midnight for a `HH:MM` string (`24:00` allowed, meaning end of day).
 * @throws JifenError VALIDATION_FAILED if the string is not `HH:MM` within 00:00..24:00.
 */
export function parseHhMm(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  if (!(h >= 0 && h <= 24 && min >= 0 && min <= 59) || (h === 24 && min !== 0)) {
    throw new JifenError('VALIDATION_FAILED', `not a HH:MM time: ${hhmm}`);
  }
  return h * 60 + min;
}
