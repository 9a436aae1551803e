import { chinaDate } from '@jifen/shared';

/** `YYYY-MM-DD` in China time for an ISO instant; the raw text if it is not one (never throws in a render). */
export function displayDate(iso: string | null | undefined): string {
  if (!iso) return '';
  try {
    return chinaDate(iso);
  } catch {
    return iso.slice(0, 10);
  }
}
