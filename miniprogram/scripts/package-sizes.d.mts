export interface PackageSize {
  name: string;
  root: string;
  bytes: number;
  files: number;
  limit: number;
  ok: boolean;
}

export declare const LIMITS: { main: number; subpackage: number; total: number };

export declare function packageSizes(distDir: string): { packages: PackageSize[]; total: number; totalOk: boolean; ok: boolean };
