/**
 * Which staff role may do what. Every admin route names one permission; a role outside it gets
 * 403 FORBIDDEN. (The full role model — marketing, support, finance, auditor, store manager,
 * cashier — is filled in with the HQ issue; this is its foundation.)
 */
export const PERMISSIONS = ['members.read', 'members.write', 'members.pii', 'points.adjust', 'org.write', 'staff.write'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Record<string, readonly Permission[]> = {
  admin: PERMISSIONS,
  support: ['members.read', 'members.write', 'points.adjust'],
  marketing: [],
  finance: [],
  auditor: ['members.read'],
  store_manager: ['staff.write'],
  cashier: [],
};

export const ROLES = Object.keys(ROLE_PERMISSIONS);

export function can(role: string, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
}
