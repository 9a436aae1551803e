/** Terminal set-up: server, token, printer, scanner, drawer, paper; test connection and test print. */
import type { KioskConfigPatch, KioskConfigView } from '../../ipc-contract.js';
import type { KioskApp, Screen } from '../app.js';
import { fill, h } from '../dom.js';
import { zh } from '../zh.js';

export function setupScreen(app: KioskApp): Screen {
  const status = h('div', { class: 'status-line', 'data-testid': 'setup-status', role: 'status' });
  const form = h('div', { class: 'form-grid' });
  const el = h('section', { class: 'card', 'data-testid': 'screen-setup' }, h('h1', {}, zh.setupTitle), form, status);

  const render = (c: KioskConfigView): void => {
    const field = (label: string, input: HTMLElement, hint?: string): HTMLElement =>
      h('label', {}, label, input, hint ? h('small', {}, hint) : null);
    const serverUrl = h('input', { 'data-testid': 'serverUrl', value: c.serverUrl, inputmode: 'url' });
    const token = h('input', {
      'data-testid': 'token',
      type: 'password',
      autocomplete: 'off',
      placeholder: c.hasToken ? zh.tokenSet : zh.tokenMissing,
    });
    const printerUri = h('input', { 'data-testid': 'printerUri', value: c.printerUri });
    const paper = h(
      'select',
      { 'data-testid': 'paper' },
      h('option', { value: '58mm', selected: c.paper === '58mm' }, zh.paper58),
      h('option', { value: '80mm', selected: c.paper === '80mm' }, zh.paper80),
    );
    const scannerMode = h(
      'select',
      { 'data-testid': 'scannerMode' },
      h('option', { value: 'wedge', selected: c.scanner.mode === 'wedge' }, zh.scannerWedge),
      h('option', { value: 'serial', selected: c.scanner.mode === 'serial' }, zh.scannerSerial),
    );
    const serialPath = h('input', { 'data-testid': 'serialPath', value: c.scanner.serialPath, placeholder: '/dev/ttyACM0' });
    const drawerEnabled = h('input', { type: 'checkbox', 'data-testid': 'drawerEnabled', checked: c.drawer.enabled });
    const drawerPin = h(
      'select',
      { 'data-testid': 'drawerPin' },
      h('option', { value: '2', selected: c.drawer.pin === 2 }, '2'),
      h('option', { value: '5', selected: c.drawer.pin === 5 }, '5'),
    );
    const storeName = h('input', { 'data-testid': 'storeName', value: c.storeName, maxlength: 40 });
    const terminalLabel = h('input', { 'data-testid': 'terminalLabel', value: c.terminalLabel, maxlength: 16 });

    const save = async (): Promise<boolean> => {
      const patch: KioskConfigPatch = {
        serverUrl: serverUrl.value.trim(),
        printerUri: printerUri.value.trim(),
        paper: paper.value === '58mm' ? '58mm' : '80mm',
        scanner: { mode: scannerMode.value === 'serial' ? 'serial' : 'wedge', serialPath: serialPath.value.trim() },
        drawer: { enabled: drawerEnabled.checked, pin: drawerPin.value === '5' ? 5 : 2 },
        storeName: storeName.value.trim(),
        terminalLabel: terminalLabel.value.trim(),
      };
      if (token.value.trim()) patch.terminalToken = token.value.trim();
      try {
        const saved = await app.busy(() => app.client.setConfig(patch));
        app.setConfig(saved);
        token.value = '';
        token.placeholder = saved.hasToken ? zh.tokenSet : zh.tokenMissing;
        fill(status, zh.saved);
        return true;
      } catch (err) {
        app.error(err);
        return false;
      }
    };
    const testConnection = async (): Promise<void> => {
      if (!(await save())) return;
      const r = await app
        .busy(() => app.client.testServer())
        .catch((e: unknown) => {
          app.error(e);
          return null;
        });
      if (r) fill(status, r.ok ? zh.connectionOk(r.storeName) : `${zh.connectionFailed}：${zh.errors[r.code ?? 'NETWORK'] ?? r.code}`);
    };
    const testPrint = async (): Promise<void> => {
      if (!(await save())) return;
      const r = await app
        .busy(() => app.client.testPrint())
        .catch((e: unknown) => {
          app.error(e);
          return null;
        });
      if (!r) return;
      if (r.status === 'printed') fill(status, zh.testPrintSent);
      else if (r.status === 'held') fill(status, zh.printHeld(zh.heldReason[r.reason ?? ''] ?? r.reason ?? ''));
      else if (r.status === 'no_printer') fill(status, zh.printNoPrinter);
      else fill(status, `${zh.printFailed}：${r.reason ?? ''}`);
    };

    fill(
      form,
      field(zh.serverUrl, serverUrl),
      field(zh.terminalToken, token),
      field(zh.printerUri, printerUri, zh.printerUriHint),
      field(zh.paper, paper),
      field(zh.scannerMode, scannerMode),
      field(zh.serialPath, serialPath),
      h('label', { class: 'check' }, drawerEnabled, zh.drawerEnabled),
      field(zh.drawerPin, drawerPin),
      field(zh.storeName, storeName),
      field(zh.terminalLabel, terminalLabel),
      h(
        'div',
        { class: 'actions' },
        h('button', { class: 'big primary', 'data-testid': 'save-setup', onclick: () => void save() }, zh.save),
        h('button', { class: 'big', 'data-testid': 'test-connection', onclick: () => void testConnection() }, zh.testConnection),
        h('button', { class: 'big', 'data-testid': 'test-print', onclick: () => void testPrint() }, zh.testPrint),
        h(
          'button',
          {
            class: 'big',
            onclick: () =>
              void app.client.openDrawer().then(
                (r) => fill(status, r.ok ? zh.ok : `${zh.drawerFailed}：${r.reason ?? ''}`),
                (e: unknown) => app.error(e),
              ),
          },
          zh.openDrawer,
        ),
        h('button', { class: 'big', 'data-testid': 'setup-back', onclick: () => app.go(app.session ? 'sale' : 'signIn') }, zh.back),
      ),
    );
  };

  if (app.config) render(app.config);
  void app.client.getConfig().then(
    (c) => {
      app.setConfig(c);
      render(c);
    },
    (e: unknown) => app.error(e),
  );
  return { name: 'setup', el };
}
