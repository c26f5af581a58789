/**
 * DOM helpers. Everything shown goes through `textContent` or text nodes,
 * never HTML, so what the ledger holds (file names, error messages) cannot
 * become markup.
 */

/** Attributes of `el` / `svgEl`: `text` sets the text; undefined, null and false leave one out. */
export type Attrs = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** A child: a node, or text; undefined, null and false add nothing. */
export type Child = Node | string | number | null | undefined | false;
export type Children = Child | readonly Child[];

const SVG = 'http://www.w3.org/2000/svg';

/** The element of this id, of this type (`HTMLInputElement`…); the page is broken when it is not. */
export function byId<T extends Element>(id: string, type: { new (): T; prototype: T }): T {
  return must(document.getElementById(id), type, `#${id}`);
}

/** The first element matching `selector`, of this type. */
export function select<T extends Element>(selector: string, type: { new (): T; prototype: T }): T {
  return must(document.querySelector(selector), type, selector);
}

/** The first body of the table of this id. */
export function tableBody(id: string): HTMLTableSectionElement {
  const body = byId(id, HTMLTableElement).tBodies.item(0);
  if (!body) throw new Error(`[switchyard] [dashboard] table #${id} has no body`);
  return body;
}

function must<T extends Element>(node: Element | null, type: { new (): T; prototype: T }, what: string): T {
  if (!(node instanceof type))
    throw new Error(`[switchyard] [dashboard] the page has no ${type.name} ${what}`);
  return node;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  children?: Children,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

export function svgEl<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  children?: Children,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, String(value));
  }
}

export function append(node: Node, children: Children): void {
  for (const child of isList(children) ? children : [children]) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function isList(children: Children): children is readonly Child[] {
  return Array.isArray(children);
}

export function clear<T extends Node>(node: T): T {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}
