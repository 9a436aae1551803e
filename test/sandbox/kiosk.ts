/**
 * The sandbox's till: the kiosk in browser mode (the device service and its host, as
 * `kiosk/src/host/main.ts` runs them) on 3200, for store S001, printing to the virtual printer. Its data
 * (settings with the terminal token, the offline journal, the sales log) lives in ./data/kiosk, so a
 * restarted sandbox keeps the same till; a token the server no longer knows (./data deleted and the
 * database recreated) is replaced by a new one.
 */
import { join } from 'node:path';
import { buildRenderer, createKioskService, RENDERER_DIST, startHostServer } from '@jifen/kiosk';
import type { HostServer, KioskService } from '@jifen/kiosk';

export interface SandboxKiosk {
  url: string;
  close(): Promise<void>;
}

async function json<T>(url: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as T };
}

/** The stored till token when the server still accepts it, else a new till for S001 issued by the HQ admin. */
async function tillToken(serverUrl: string, stored: string, admin: { username: string; password: string }): Promise<string> {
  if (stored && (await json(`${serverUrl}/api/pos/terminal`, { token: stored })).status === 200) return stored;
  const session = await json<{ token: string }>(`${serverUrl}/api/admin/session`, { method: 'POST', body: admin });
  if (session.status !== 200) throw new Error(`HQ admin sign-in for the till failed: ${session.status}`);
  const till = await json<{ token: string }>(`${serverUrl}/api/admin/terminals`, {
    method: 'POST',
    body: { storeCode: 'S001', name: '1号收银台' },
    token: session.body.token,
  });
  if (till.status !== 201) throw new Error(`issuing the sandbox till failed: ${till.status} ${JSON.stringify(till.body)}`);
  return till.body.token;
}

export async function startSandboxKiosk(options: {
  dataDir: string;
  port: number;
  serverUrl: string;
  printerUri: string;
  admin: { username: string; password: string };
}): Promise<SandboxKiosk> {
  // The UI as the current sources build it (about a second).
  await buildRenderer();
  const service: KioskService = await createKioskService({
    dataDir: join(options.dataDir, 'kiosk'),
    configOverrides: { serverUrl: options.serverUrl, printerUri: options.printerUri },
  });
  let host: HostServer | undefined;
  try {
    const token = await tillToken(options.serverUrl, service.config.get().terminalToken, options.admin);
    if (token !== service.config.get().terminalToken) await service.config.update({ terminalToken: token });
    host = await startHostServer({ table: service.table, rendererDir: RENDERER_DIST, port: options.port });
  } catch (err) {
    await service.close();
    throw err;
  }
  const h = host;
  return {
    url: h.url,
    async close() {
      await h.close();
      await service.close();
    },
  };
}
