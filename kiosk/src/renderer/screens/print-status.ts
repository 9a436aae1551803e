/** What a print result means for the cashier, with 重新打印 for a held job. */
import type { PrintResultView } from '../../ipc-contract.js';
import type { KioskApp } from '../app.js';
import { fill, h } from '../dom.js';
import { zh } from '../zh.js';

export function printStatusText(r: PrintResultView): string {
  switch (r.status) {
    case 'printed':
      return r.warnings.includes('not_ready_after_print') ? zh.printMaybe : zh.printed;
    case 'held':
      return zh.printHeld(zh.heldReason[r.reason ?? ''] ?? r.reason ?? '');
    case 'no_printer':
      return zh.printNoPrinter;
    case 'failed':
      return r.mayHavePrinted ? zh.printMaybe : `${zh.printFailed}：${r.reason ?? ''}`;
  }
}

export function printStatusView(app: KioskApp, initial: PrintResultView): HTMLElement {
  const el = h('div', { class: 'print-status', 'data-testid': 'print-status' });
  const render = (r: PrintResultView): void => {
    const retryable = r.status === 'held' || (r.status === 'failed' && !r.mayHavePrinted);
    fill(
      el,
      h('span', { class: `print-${r.status}` }, printStatusText(r)),
      retryable
        ? h(
            'button',
            {
              class: 'big',
              'data-testid': 'retry-print',
              onclick: () =>
                void app
                  .busy(() => app.client.retryPrint(r.jobId))
                  .then(
                    (next) => render(next),
                    (e: unknown) => app.error(e),
                  ),
            },
            zh.retryPrint,
          )
        : null,
    );
  };
  render(initial);
  return el;
}
