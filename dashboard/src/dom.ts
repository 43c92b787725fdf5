// Building the page from data without markup: strings become text nodes, never HTML, so whatever
// a device puts in a name is shown as the characters it sent.

/** A `tag` element with a class, holding `children` (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  e.append(...children);
  return e;
}

/** Set an element's text, touching the DOM only when it changed. */
export function text(e: HTMLElement, s: string): void {
  if (e.textContent !== s) e.textContent = s;
}
