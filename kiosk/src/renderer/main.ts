/** The renderer's entry: the preload's bridge in Electron, the host's HTTP API in a browser. */
import './styles.css';
import { KioskApp } from './app.js';
import { createKioskClient, detectBridge } from '../shared/kiosk-client.js';

const root = document.getElementById('app');
if (root) {
  const app = new KioskApp(root, { client: createKioskClient(detectBridge(window)), window });
  void app.start();
}
