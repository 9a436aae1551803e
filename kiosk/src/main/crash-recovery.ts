/**
 * A till must come back by itself: when the renderer process dies (crash, OOM, killed) the window is
 * reloaded; if it keeps dying (maxReloads within windowMs) the whole app restarts. The sale in progress
 * survives either way on the main side: sales are on the server or in the offline journal, and a
 * pending WeChat payment is watched by main, not by the page.
 */
import type { App, RenderProcessGoneDetails, WebContents } from 'electron';

export interface CrashRecoveryOptions {
  /** Reloads allowed within windowMs before relaunching the app. Default 3. */
  maxReloads?: number;
  /** Default 60 000 ms. */
  windowMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

type CrashContents = Pick<WebContents, 'on' | 'reload'>;

export function attachCrashRecovery(
  contents: CrashContents,
  app: Pick<App, 'relaunch' | 'exit'>,
  options: CrashRecoveryOptions = {},
): void {
  const maxReloads = options.maxReloads ?? 3;
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  let crashes: number[] = [];

  contents.on('render-process-gone', (_event: unknown, details: RenderProcessGoneDetails) => {
    if (details.reason === 'clean-exit') return;
    const at = now();
    crashes = crashes.filter((t) => at - t < windowMs);
    crashes.push(at);
    if (crashes.length <= maxReloads) {
      log(`renderer gone (${details.reason}, exit ${details.exitCode}): reloading (${crashes.length}/${maxReloads})`);
      contents.reload();
      return;
    }
    log(`renderer gone ${crashes.length} times within ${windowMs} ms: relaunching the app`);
    app.relaunch();
    app.exit(0);
  });
}
