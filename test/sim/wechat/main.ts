/**
 * Runs the WeChat simulator standalone (for the sandbox, a browser test, or poking at it with curl).
 *
 *   node --import tsx sim/wechat/main.ts [--port 3100] [--host 127.0.0.1] [--time-factor 0.001]
 *        [--key-mode certificate|publicKey|mixed] [--public-key-share 0.5] [--probe-rate 0]
 *        [--delivery-timeout-ms 5000] [--raw-body-trap] [--public-url http://wechat.sim:3100] [--quiet]
 *
 * The port can also come from WECHAT_SIM_PORT (or PORT). Prints the merchant configuration the Jifen server
 * must use, then serves until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PORT, startWechatSimulator, type KeyMode, type WechatSimulatorOptions } from './index.js';

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${value}`);
  return n;
}

function keyMode(value: string | undefined): KeyMode | undefined {
  if (value === undefined) return undefined;
  if (value === 'certificate' || value === 'publicKey' || value === 'mixed') return value;
  throw new Error(`--key-mode must be certificate, publicKey or mixed, got ${value}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'time-factor': { type: 'string' },
      'key-mode': { type: 'string' },
      'public-key-share': { type: 'string' },
      'probe-rate': { type: 'string' },
      'delivery-timeout-ms': { type: 'string' },
      'raw-body-trap': { type: 'boolean' },
      'public-url': { type: 'string' },
      'allow-http-notify-url': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  const options: WechatSimulatorOptions = {
    port: number('port', values.port ?? process.env['WECHAT_SIM_PORT'] ?? process.env['PORT']) ?? DEFAULT_PORT,
  };
  const set = <K extends keyof WechatSimulatorOptions>(key: K, value: WechatSimulatorOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('host', values.host);
  set('timeFactor', number('time-factor', values['time-factor']));
  set('keyMode', keyMode(values['key-mode']));
  set('publicKeyShare', number('public-key-share', values['public-key-share']));
  set('probeRate', number('probe-rate', values['probe-rate']));
  set('deliveryTimeoutMs', number('delivery-timeout-ms', values['delivery-timeout-ms']));
  set('rawBodyTrap', values['raw-body-trap']);
  set('publicUrl', values['public-url']);
  set('allowHttpNotifyUrl', values['allow-http-notify-url']);
  if (!values.quiet) options.log = (line) => console.log(`[wechat-sim] ${line}`);

  const sim = await startWechatSimulator(options);
  const cfg = sim.jifenConfig();
  console.log(`WeChat simulator on ${sim.url} (control API: ${sim.url}/__control/config)`);
  console.log(
    JSON.stringify(
      {
        ...cfg,
        platformCertificates: cfg.platformCertificates.map((c) => ({ serialNo: c.serialNo, active: c.active })),
        platformPublicKeys: cfg.platformPublicKeys.map((p) => ({ publicKeyId: p.publicKeyId, active: p.active })),
      },
      null,
      2,
    ),
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
