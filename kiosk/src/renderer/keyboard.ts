/**
 * Keyboard-wedge scanners in the page: every keydown goes through the wedge detector in the capture
 * phase, before any input sees it. Keys of a scan are swallowed (preventDefault + stopPropagation), so a
 * scan never lands in the focused search box and its Enter never presses the focused button; keys that
 * turn out to be typing are given back to the focused input, in order.
 */
import { createWedgeDetector } from '../main/devices/wedge.js';
import type { WedgeDetectorOptions } from '../main/devices/wedge.js';

export interface WedgeInputOptions extends WedgeDetectorOptions {
  /** Key time; default the event's timeStamp (tests pass a clock). */
  now?: (event: KeyboardEvent) => number;
}

export function installWedge(target: Window, onScan: (code: string) => void, options: WedgeInputOptions = {}): () => void {
  const detector = createWedgeDetector(options);
  const now = options.now ?? ((e: KeyboardEvent) => e.timeStamp);
  detector.onScan(onScan);
  detector.onTyping((keys) => {
    const el = target.document.activeElement;
    if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA'))
      insertText(el as HTMLInputElement | HTMLTextAreaElement, keys.join(''));
  });
  const onKey = (event: KeyboardEvent): void => {
    if (event.ctrlKey || event.altKey || event.metaKey) {
      detector.flush();
      return;
    }
    const { swallow } = detector.handleKey({ key: event.key, timeStamp: now(event), isComposing: event.isComposing });
    if (swallow) {
      event.preventDefault();
      event.stopPropagation();
    }
  };
  target.addEventListener('keydown', onKey, { capture: true });
  return () => {
    target.removeEventListener('keydown', onKey, { capture: true });
    detector.dispose();
  };
}

/** Types text into an input at the caret, as the keys would have (an `input` event included). */
function insertText(el: HTMLInputElement | HTMLTextAreaElement, text: string): void {
  if (el.readOnly || el.disabled) return;
  const start = el.selectionStart ?? el.value.length;
  const end = el.selectionEnd ?? el.value.length;
  let next = el.value.slice(0, start) + text + el.value.slice(end);
  if (el.maxLength >= 0) next = next.slice(0, el.maxLength);
  el.value = next;
  const caret = Math.min(start + text.length, next.length);
  try {
    el.setSelectionRange(caret, caret);
  } catch {
    // type=number inputs have no selection
  }
  el.dispatchEvent(new Event('input', { bubbles: true }));
}
