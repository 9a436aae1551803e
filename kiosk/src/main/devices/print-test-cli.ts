/**
 * `pnpm kiosk:print-test --printer <uri> [--paper 58|80]`
 *   uri: tcp://192.168.1.50:9100 | file:/dev/usb/lp0 | serial:/dev/ttyUSB0?baud=9600
 * Exit 0: the printer was ready before and after printing. 1: not ready or failed (reason on
 * stderr, in Chinese and English). 2: bad arguments.
 */
import { parseArgs } from 'node:util';
import { runPrintTest } from './print-test.js';

const USAGE =
  'usage: pnpm kiosk:print-test --printer <tcp://host:9100 | file:/dev/usb/lp0 | serial:/dev/ttyUSB0?baud=9600> [--paper 58|80]';

async function main(argv: string[]): Promise<number> {
  let values: { printer?: string; paper?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { printer: { type: 'string' }, paper: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.printer) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (values.paper !== undefined && values.paper !== '58' && values.paper !== '80') {
    process.stderr.write(`--paper must be 58 or 80\n${USAGE}\n`);
    return 2;
  }
  return runPrintTest({
    uri: values.printer,
    paper: values.paper === '80' ? '80mm' : '58mm',
    log: (line) => process.stdout.write(`${line}\n`),
    error: (line) => process.stderr.write(`${line}\n`),
  });
}

// pnpm passes a lone `--` through when called as `pnpm kiosk:print-test -- --printer ...`.
const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
process.exitCode = await main(args);
