/**
 * Server configuration from the environment (names fixed by the contract). Validated once at
 * start; a missing or weak secret stops the server with a message naming the variable.
 */
import { z } from 'zod';

const secret = (name: string) => z.string({ error: `${name} is required` }).min(32, `${name} must be at least 32 characters`);

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().default('sqlite:./data/jifen.sqlite'),
  JIFEN_SECRET: secret('JIFEN_SECRET'),
  JIFEN_DATA_KEY: secret('JIFEN_DATA_KEY'),
  JIFEN_BOOTSTRAP_ADMIN: z
    .string()
    .regex(/^[^:]+:.{8,}$/, 'JIFEN_BOOTSTRAP_ADMIN must be username:password with a password of 8+ characters')
    .optional(),
  JIFEN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JIFEN_JOBS: z.enum(['on', 'off']).default('on'),
  /** MySQL connections per server process; size it to about (database cores × 4) ÷ servers. */
  JIFEN_DB_POOL: z.coerce.number().int().min(1).max(512).default(16),
  /** Browser origins allowed to call the member and POS APIs (the H5 build, the kiosk in browser mode). */
  JIFEN_CORS_ORIGINS: z
    .string()
    .default('http://127.0.0.1:3300,http://localhost:3300,http://127.0.0.1:3200,http://localhost:3200')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /** Personal data of members inactive this many months is erased by the retention job; 0 turns it off. */
  JIFEN_RETENTION_MONTHS: z.coerce.number().int().min(0).max(1200).default(36),
  JIFEN_SESSION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  /** Manual adjustments of more points than this (either sign) wait for a second staff member's approval. */
  JIFEN_ADJUST_APPROVAL_POINTS: z.coerce.number().int().min(0).max(100_000_000).default(5000),
  WECHAT_APPID: z.string().optional(),
  WECHAT_APPSECRET: z.string().optional(),
  WECHAT_API_BASE: z.string().url().default('https://api.weixin.qq.com'),
  WXPAY_MCHID: z.string().optional(),
  WXPAY_BASE_URL: z.string().url().default('https://api.mch.weixin.qq.com'),
  WXPAY_MERCHANT_KEY_FILE: z.string().optional(),
  WXPAY_MERCHANT_SERIAL: z.string().optional(),
  WXPAY_MERCHANT_CERT_FILE: z.string().optional(),
  WXPAY_APIV3_KEY: z.string().optional(),
  WXPAY_PUBLIC_KEY_FILE: z.string().optional(),
  WXPAY_PUBLIC_KEY_ID: z.string().optional(),
  WXPAY_PLATFORM_CERT_FILE: z.string().optional(),
  WXPAY_NOTIFY_BASE: z.string().optional(),
  WXPAY_APIV2_KEY: z.string().optional(),
});

export type Config = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || 'env'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function bootstrapAdmin(config: Config): { username: string; password: string } | null {
  if (!config.JIFEN_BOOTSTRAP_ADMIN) return null;
  const i = config.JIFEN_BOOTSTRAP_ADMIN.indexOf(':');
  return { username: config.JIFEN_BOOTSTRAP_ADMIN.slice(0, i), password: config.JIFEN_BOOTSTRAP_ADMIN.slice(i + 1) };
}
