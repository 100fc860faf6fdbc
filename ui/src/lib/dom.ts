/**
 * DOM helpers shared by the app and the portal: element creation with attributes and children,
 * the status (role=status) and alert (role=alert) live regions, and short address display.
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** `h('button', { type: 'button', onclick }, 'Grant')`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (key === 'className') {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/** Shows a calm status message in the page's role=status region. */
export function status(message: string): void {
  $('status').textContent = message;
}

/** Shows an error in the page's role=alert region (cleared with an empty message). */
export function alertError(message: string): void {
  const region = $('alert');
  region.textContent = message;
  region.hidden = !message;
}

/** "5Grwva…utQY". */
export const short = (address: string): string => (address.length > 14 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address);

/** A description list from [term, definition] pairs. */
export function dl(rows: [string, Child | Child[]][]): HTMLDListElement {
  return h('dl', {}, rows.flatMap(([term, def]) => [h('dt', {}, term), h('dd', {}, ...(Array.isArray(def) ? def : [def]))]));
}

/** Unique ids for label/aria wiring. */
let counter = 0;
export const uid = (prefix: string): string => `${prefix}-${++counter}`;
