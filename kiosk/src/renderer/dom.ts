/** A few lines instead of a framework: build elements, swap a region's content, show an SVG safely. */

type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined | ((event: Event) => void);

/**
 * `h('button', {class: 'big', onclick: fn, disabled: true}, '现金')`. `on…` functions become
 * listeners, `value`/`checked` are set as properties, `true` adds an empty attribute, false/null/undefined skip.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, AttrValue> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === 'value' || name === 'checked') (el as unknown as Record<string, unknown>)[name] = value;
    else if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces a region's content. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * An SVG (receipt preview, QR code) as an image: never inserted as markup, so nothing in it can run or
 * reach the page, and the CSP needs only `img-src data:`.
 */
export function svgImage(svg: string, alt: string, className = 'svg-image'): HTMLImageElement {
  return h('img', { class: className, alt, src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}` });
}

/** The element with this data-testid under root (tests and focus handling). */
export function byTestId<T extends Element = HTMLElement>(root: ParentNode, id: string): T | null {
  return root.querySelector<T>(`[data-testid="${id}"]`);
}
