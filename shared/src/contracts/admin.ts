/**
 * Request and response contracts of the HQ admin API. The server validates with these schemas and
 * the admin client can reuse them, so both sides agree on every field.
 */
import { z } from 'zod';

/** Mainland mobile numbers: 11 digits starting with 1; spaces, dashes and a +86 prefix are tolerated. */
export const PhoneSchema = z
  .string()
  .trim()
  .transform((s) => s.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, ''))
  .pipe(z.string().regex(/^1[3-9]\d{9}$/, 'must be an 11-digit mainland mobile number'));

export const IdempotencyKeySchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(128)
  .regex(/^[\w.:-]+$/, 'may contain letters, digits and . : _ -');

export const AdminSessionRequest = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(256),
});
export type AdminSessionRequest = z.infer<typeof AdminSessionRequest>;

export const CreateMemberRequest = z.object({
  phone: PhoneSchema,
  name: z.string().trim().min(1).max(64).optional(),
  birthday: z
    .string()
    .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be MM-DD')
    .optional(),
  programCode: z.string().min(1).max(32).optional(),
  referralCode: z.string().trim().toUpperCase().length(8).optional(),
});
export type CreateMemberRequest = z.infer<typeof CreateMemberRequest>;

export const AdjustmentRequest = z.object({
  points: z
    .number()
    .int('must be a whole number of points')
    .refine((n) => n !== 0, 'must not be zero')
    .refine((n) => Math.abs(n) <= 100_000_000, 'is too large'),
  reason: z.string().trim().min(2, 'a reason is required').max(200),
  idempotencyKey: IdempotencyKeySchema,
  programCode: z.string().min(1).max(32).optional(),
});
export type AdjustmentRequest = z.infer<typeof AdjustmentRequest>;

export const IdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export interface MemberView {
  id: number;
  phone: string | null;
  name: string | null;
  status: string;
  referralCode: string;
  tier: { code: string; name: string };
  points: { balance: number; pending: number; held: number; expiringSoon: number };
  growth: number;
  accounts: Array<{
    programCode: string;
    programName: string;
    balance: number;
    pending: number;
    held: number;
    lifetimeEarned: number;
    tier: { code: string; name: string };
  }>;
  createdAt: string;
}

export const StaffRoleSchema = z.enum(['admin', 'marketing', 'support', 'finance', 'auditor', 'store_manager', 'cashier']);

export const CreateStaffRequest = z.object({
  username: z
    .string()
    .trim()
    .regex(/^[\w.-]{3,64}$/, 'letters, digits, . _ - (3 to 64)'),
  password: z.string().min(10, 'must be at least 10 characters').max(256),
  role: StaffRoleSchema,
  storeCode: z.string().trim().min(1).max(32).optional(),
  pin: z
    .string()
    .regex(/^\d{4,8}$/, 'must be 4 to 8 digits')
    .optional(),
});
export type CreateStaffRequest = z.infer<typeof CreateStaffRequest>;
