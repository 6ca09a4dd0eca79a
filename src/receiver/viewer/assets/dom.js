// The only way the page makes elements. Strings always become text nodes; attributes come from a
// short allow-list, and links only to the page's own routes (#/…). Nothing here parses HTML, so
// no received text can become markup or script, whatever it contains.

const ATTRIBUTES = new Set(['class', 'title', 'role', 'type', 'value', 'for', 'id', 'colspan', 'tabindex', 'aria-label', 'aria-current', 'aria-expanded', 'aria-live', 'data-testid', 'data-key', 'open']);

/**
 * @typedef {Node | string | number | null | undefined | false} Leaf
 * @typedef {Leaf | Leaf[]} Child1
 * @typedef {Child1 | Child1[]} Child2
 * @typedef {Child2 | Child2[]} Child
 * @typedef {{ [name: string]: string | number | boolean | null | undefined | EventListener }} Props
 */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'href') {
      const target = String(value);
      // Only the page's own routes: no javascript:, data: or other origins, whatever a value holds.
      element.setAttribute('href', target.startsWith('#/') ? target : '#/');
    } else if (ATTRIBUTES.has(name)) {
      element.setAttribute(name, value === true ? '' : String(value));
    } else {
      throw new Error(`dom.h: attribute ${name} is not on the allow-list`);
    }
  }
  append(element, children);
  return element;
}

/**
 * @param {Element} parent
 * @param {Child[]} children
 */
export function append(parent, children) {
  for (const child of /** @type {Leaf[]} */ (children.flat(3))) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/**
 * Replaces an element's content.
 * @param {Element} parent
 * @param {...Child} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

const SVG = 'http://www.w3.org/2000/svg';

/**
 * An SVG element with numeric or keyword attributes (never received text as an attribute).
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {...(Node | string)} children
 * @returns {SVGElement}
 */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return /** @type {SVGElement} */ (element);
}
