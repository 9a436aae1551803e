/**
 * setupShift(): the cashier's shift. Sign-in with username + PIN (staff are HQ's; the server checks the
 * PIN and opens or resumes the shift with the opening float), the X/Z report, and closing with the
 * counted cash and a printed Z-report. The session lives in main's memory only: after a restart the
 * cashier signs in again and the server resumes the open shift.
 */
import type { SessionView, ShiftCloseResult, ShiftReportView } from '../ipc-contract.js';
import { KioskError } from '../shared/kiosk-error.js';
import type { PosApi, ShiftReport, TerminalInfo } from '../shared/pos-api.js';
import { isPosApiError } from '../shared/pos-api.js';
import type { OfflineQueue } from '../host/offline-queue.js';
import type { ConfigStore } from './config.js';
import type { ChannelRegistrar } from './ipc.js';
import type { PrinterModule } from './printer.js';
import type { SalesLog } from './sales-log.js';
import { localShiftReport } from './sales-log.js';
import { zReportMarkup } from './z-report.js';

export interface ShiftModuleDeps {
  config: ConfigStore;
  api: () => PosApi | null;
  queue: OfflineQueue;
  salesLog: SalesLog;
  printer: PrinterModule;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface ActiveSession {
  view: SessionView;
  terminalId: number;
}

export interface ShiftModule {
  current(): ActiveSession | null;
  /** Throws NOT_SIGNED_IN. */
  require(): ActiveSession;
  /** The server answered SHIFT_CLOSED for this shift (closed elsewhere): the cashier signs in again. */
  closedElsewhere(shiftId: string): void;
}

export function setupShift(registrar: ChannelRegistrar, deps: ShiftModuleDeps): ShiftModule {
  const now = deps.now ?? (() => new Date());
  let session: ActiveSession | null = null;

  const api = (): PosApi => {
    const a = deps.api();
    if (!a) throw new KioskError('NOT_CONFIGURED', 'set the server URL and terminal token first');
    return a;
  };
  /** Server time when known (a recent answer's Date header), else the till's clock. */
  const clock = (): { at: Date; deviceTime: boolean } => {
    const server = deps.api()?.serverNow() ?? null;
    return server ? { at: server, deviceTime: false } : { at: now(), deviceTime: true };
  };
  const require = (): ActiveSession => {
    if (!session) throw new KioskError('NOT_SIGNED_IN', 'no cashier is signed in');
    return session;
  };
  const closedElsewhere = (shiftId: string): void => {
    if (session?.view.shift.shiftId !== shiftId) return;
    deps.log?.(`shift ${shiftId} was closed on the server: signed out`);
    session = null;
  };

  const queued = (shiftId: string): ShiftReportView['queued'] => {
    const mine = deps.queue.pending().filter((s) => s.shiftId === shiftId);
    return { count: mine.length, cashFen: mine.reduce((sum, s) => sum + s.amountFen, 0) };
  };

  const local = (s: ActiveSession, close: { countedCashFen: number } | null): ShiftReport => {
    const shift = s.view.shift;
    return localShiftReport(
      deps.salesLog.ofShift(shift.shiftId),
      {
        shiftId: shift.shiftId,
        terminalId: s.terminalId,
        staff: { id: s.view.staff.id, name: s.view.staff.name },
        openedAt: shift.openedAt,
        openingFloatFen: shift.openingFloatFen,
      },
      close ? { closedAt: clock().at.toISOString(), countedCashFen: close.countedCashFen } : null,
    );
  };

  /** The server's figures; this till's own when the server is unreachable. */
  const report = async (s: ActiveSession, close: { countedCashFen: number } | null): Promise<ShiftReportView> => {
    const shiftId = s.view.shift.shiftId;
    try {
      const r = close ? await api().closeShift(shiftId, close) : await api().shiftReport(shiftId);
      deps.queue.reportOnline();
      return { report: r, source: 'server', queued: queued(shiftId) };
    } catch (err) {
      if (isPosApiError(err) && err.code === 'SHIFT_CLOSED') closedElsewhere(shiftId);
      if (!isPosApiError(err) || !err.unreachable) throw err;
      deps.queue.reportUnreachable(err.message);
      return { report: local(s, close), source: 'local', queued: queued(shiftId) };
    }
  };

  registrar.handle('shift:signIn', async (request) => {
    const username = typeof request?.username === 'string' ? request.username.trim() : '';
    const pin = typeof request?.pin === 'string' ? request.pin : '';
    const float = request?.openingFloatFen ?? 0;
    if (!username || username.length > 64) throw new KioskError('INVALID_INPUT', 'username required');
    if (!/^\d{4,8}$/.test(pin)) throw new KioskError('INVALID_INPUT', 'PIN is 4–8 digits');
    if (!Number.isSafeInteger(float) || float < 0) throw new KioskError('INVALID_INPUT', 'opening float is integer fen ≥ 0');
    const server = api();
    let signed;
    try {
      signed = await server.signIn({ username, pin, openingFloatFen: float });
    } catch (err) {
      if (isPosApiError(err) && err.unreachable) {
        deps.queue.reportUnreachable(err.message);
        throw new KioskError('OFFLINE_SIGN_IN', 'signing in needs the server');
      }
      throw err;
    }
    deps.queue.reportOnline();
    let info: TerminalInfo | null = null;
    try {
      info = await server.terminalInfo();
    } catch {
      info = null; // the store's name comes from the settings, the point value is unknown (no points spent)
    }
    const config = deps.config.get();
    // Kept for what is shown and printed while the server cannot say (before sign-in, offline).
    if (info && info.store.name !== config.storeName) await deps.config.update({ storeName: info.store.name });
    session = {
      terminalId: info?.terminalId ?? 0,
      view: {
        staff: { id: signed.staff.id, username: signed.staff.username, name: signed.staff.name },
        shift: signed.shift,
        store: info
          ? { name: info.store.name, ...(info.store.address ? { address: info.store.address } : {}) }
          : { name: config.storeName },
        terminalLabel: info?.name ? terminalLabel(info.name, info.store.name) : config.terminalLabel,
        program: info
          ? {
              name: info.program.name,
              pointValueFen: info.program.pointValueFen,
              maxPointsSharePercent: info.program.maxPointsSharePercent,
            }
          : null,
      },
    };
    deps.log?.(`signed in: ${signed.staff.username} shift ${signed.shift.shiftId}${signed.shift.resumed ? ' (resumed)' : ''}`);
    return session.view;
  });

  registrar.handle('shift:current', () => session?.view ?? null);

  registrar.handle('shift:report', () => report(require(), null));

  registrar.handle('shift:close', async (countedCashFen): Promise<ShiftCloseResult> => {
    const s = require();
    if (!Number.isSafeInteger(countedCashFen) || countedCashFen < 0)
      throw new KioskError('INVALID_INPUT', 'counted cash is integer fen ≥ 0');
    const view = await report(s, { countedCashFen });
    const t = clock();
    const config = deps.config.get();
    const markup = zReportMarkup(
      view,
      { storeName: s.view.store.name, terminalLabel: s.view.terminalLabel, deviceTime: t.deviceTime || view.source === 'local' },
      {
        paper: config.paper,
      },
    );
    const receipt = await deps.printer.printMarkup(`z-report:${s.view.shift.shiftId}`, markup);
    deps.log?.(`shift ${s.view.shift.shiftId} closed (${view.source}); Z-report ${receipt.print.status}`);
    session = null;
    return { ...view, receipt };
  });

  return { current: () => session, require, closedElsewhere };
}

/**
 * The till's name as printed beside 终端: HQ's name for it without the store's name in front (the
 * server names an unnamed till "<store> 收银台", and the store heads the receipt already).
 */
export function terminalLabel(name: string, storeName: string): string {
  const rest = storeName && name.startsWith(storeName) ? name.slice(storeName.length).trim() : '';
  return rest || name;
}
