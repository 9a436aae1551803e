/**
 * Which staff role may do what. Every admin route names exactly one permission (requireStaff); a
 * role outside it gets 403 FORBIDDEN. A few permissions are capabilities inside a route rather than
 * routes of their own: `members.pii` (personal data in clear wherever it appears, each read audited).
 * Roles with no personal data (marketing, finance, auditor) never get `members.pii` or
 * `members.reveal`; support sees personal data masked until it reveals it, one audited reveal at a time.
 * store_manager's permissions are further limited to its own store (and, for staff, to cashiers) by
 * the commands. cashier has no admin permission at all: it works at the POS only.
 */
export const PERMISSIONS = [
  'account.self',
  'members.read',
  'members.write',
  'members.pii',
  'members.reveal',
  'members.freeze',
  'members.merge',
  'points.adjust',
  'points.approve',
  'orders.refund',
  'payments.reconcile',
  'org.read',
  'org.write',
  'terminals.read',
  'terminals.write',
  'staff.read',
  'staff.write',
  'staff.roles',
  'rules.read',
  'rules.write',
  'rules.publish',
  'rewards.read',
  'rewards.write',
  'codes.read',
  'codes.write',
  'audit.read',
  'reports.read',
  // Reports (part B): liability, inflation and cross-brand flows; member ids in segment lists;
  // personal data beside them; the legacy member import.
  'reports.finance',
  'reports.members',
  'reports.personal',
  'import.write',
  // The store catalogue: read it, write a brand's products, set one store's price and availability.
  'catalogue.read',
  'catalogue.write',
  'catalogue.store',
  // A member's request to HQ for a copy of their data or its erasure (each audited with its reason).
  'members.privacy',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Record<string, readonly Permission[]> = {
  admin: PERMISSIONS,
  marketing: [
    'account.self',
    'org.read',
    'rules.read',
    'rules.write',
    'rules.publish',
    'rewards.read',
    'rewards.write',
    'codes.read',
    'codes.write',
    'reports.read',
    'reports.members',
    'catalogue.read',
    'catalogue.write',
    'catalogue.store',
  ],
  support: [
    'account.self',
    'members.read',
    'members.write',
    'members.reveal',
    'members.privacy',
    'members.freeze',
    'members.merge',
    'points.adjust',
    'points.approve',
    'org.read',
    'rewards.read',
    'codes.read',
  ],
  finance: [
    'account.self',
    'orders.refund',
    'payments.reconcile',
    'points.approve',
    'org.read',
    'rules.read',
    'rewards.read',
    'codes.read',
    'reports.read',
    'reports.finance',
  ],
  auditor: [
    'account.self',
    'members.read',
    'org.read',
    'terminals.read',
    'staff.read',
    'rules.read',
    'rewards.read',
    'codes.read',
    'audit.read',
    'reports.read',
    'reports.finance',
    'reports.members',
    'catalogue.read',
  ],
  store_manager: [
    'account.self',
    'org.read',
    'terminals.read',
    'terminals.write',
    'staff.read',
    'staff.write',
    'catalogue.read',
    'catalogue.store',
  ],
  cashier: [],
};

export const ROLES = Object.keys(ROLE_PERMISSIONS);

export function can(role: string, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
}

/** Every permission a role holds (for GET /api/admin/me and the OpenAPI document). */
export function permissionsOf(role: string): readonly Permission[] {
  return ROLE_PERMISSIONS[role] ?? [];
}

export function isPermission(p: string): p is Permission {
  return (PERMISSIONS as readonly string[]).includes(p);
}
