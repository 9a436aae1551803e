/**
 * `pnpm start`: the sandbox, a new user's first look at Jifen. One command brings up the server on
 * an embedded SQLite file under ./data (or DATABASE_URL), loads the demo group, and prints every
 * URL and demo credential. Ctrl-C stops all of it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PersonalDataCipher, loadConfig, openDatabase, seedDemo, startServer, DEMO_MEMBERS } from '@jifen/server';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = join(ROOT, 'data');
const ADMIN = { username: 'admin', password: 'jifen-admin-2026' };

interface SandboxSecrets {
  JIFEN_SECRET: string;
  JIFEN_DATA_KEY: string;
}

/** Secrets are generated once per checkout and kept beside the data they protect. */
function sandboxSecrets(): SandboxSecrets {
  const file = join(DATA, 'sandbox-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SandboxSecrets;
  mkdirSync(DATA, { recursive: true });
  const secrets = { JIFEN_SECRET: randomBytes(32).toString('base64url'), JIFEN_DATA_KEY: randomBytes(32).toString('base64url') };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function main(): Promise<void> {
  const secrets = sandboxSecrets();
  const env = {
    ...process.env,
    PORT: process.env.PORT ?? '3000',
    DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${join(DATA, 'jifen.sqlite')}`,
    JIFEN_SECRET: process.env.JIFEN_SECRET ?? secrets.JIFEN_SECRET,
    JIFEN_DATA_KEY: process.env.JIFEN_DATA_KEY ?? secrets.JIFEN_DATA_KEY,
    JIFEN_BOOTSTRAP_ADMIN: process.env.JIFEN_BOOTSTRAP_ADMIN ?? `${ADMIN.username}:${ADMIN.password}`,
    JIFEN_LOG_LEVEL: process.env.JIFEN_LOG_LEVEL ?? 'warn',
  };
  const config = loadConfig(env);
  const db = openDatabase(config.DATABASE_URL);
  const server = await startServer({ config, db });
  const seeded = await seedDemo(db, new PersonalDataCipher(config.JIFEN_DATA_KEY));
  const demo = await db.kysely
    .selectFrom('member')
    .select(['id', 'name'])
    .where(
      'name',
      'in',
      DEMO_MEMBERS.map((m) => m.name),
    )
    .execute();
  const idOf = (name: string) => demo.find((m) => m.name === name)?.id;
  const [adminUser, adminPass] = (config.JIFEN_BOOTSTRAP_ADMIN ?? ':').split(/:(.*)/s);
  const first = { id: idOf(DEMO_MEMBERS[0].name) };
  const lines = [
    '',
    '  积分 Jifen sandbox is running',
    '',
    `  Server        ${server.url}   (health: ${server.url}/healthz)`,
    `  Database      ${db.describe}${seeded.created ? '   (demo data loaded)' : ''}`,
    `  HQ admin      username ${adminUser}   password ${adminPass}`,
    `  Demo group    programs JIFEN (集团通用积分) and SPORT (悦动积分); stores S001 S002 S101 S201`,
    `  Demo members  ${DEMO_MEMBERS.map((m) => `${m.name} ${m.phone} (id ${idOf(m.name) ?? '?'})`).join(' · ')}`,
    '',
    '  Try it:',
    `    TOKEN=$(curl -s -X POST ${server.url}/api/admin/session -H 'content-type: application/json' \\`,
    `      -d '{"username":"${adminUser}","password":"${adminPass}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
    `    curl -s ${server.url}/api/admin/members/${first?.id ?? '<id>'} -H "authorization: Bearer $TOKEN"`,
    `    curl -s -X POST ${server.url}/api/admin/members/${first?.id ?? '<id>'}/adjustments -H "authorization: Bearer $TOKEN" \\`,
    `      -H 'content-type: application/json' -d '{"points":100,"reason":"客诉补偿","idempotencyKey":"sandbox-demo-0001"}'`,
    '',
    '  Ctrl-C stops everything.',
    '',
  ];
  console.log(lines.join('\n'));
  const stop = async () => {
    await server.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
