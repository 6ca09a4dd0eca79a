import { categoryBadge } from './badges.js';
import { h } from './dom.js';
import { valueText } from './format.js';

// A span's exception events as the errors they describe: faultline's recordError writes one event
// per error, outermost first, each naming the index of the event it hangs from (`exception.parent`)
// and how (`exception.relation`: cause, or aggregate for an AggregateError's children). Events
// without an index (the SDK's recordException) stand alone.

const KNOWN = new Set([
  'exception.type',
  'exception.message',
  'exception.stacktrace',
  'exception.code',
  'exception.notes',
  'exception.retryable',
  'exception.index',
  'exception.cause_depth',
  'exception.parent',
  'exception.relation',
  'exception.fingerprint',
  'exception.truncated',
  'error.category',
]);

/**
 * @typedef {{ event: import('./types.js').SpanEvent, children: ExceptionNode[] }} ExceptionNode
 */

/**
 * The recorded errors of one span, each a tree of its causes and children.
 * @param {import('./types.js').SpanEvent[]} events
 * @returns {ExceptionNode[]}
 */
export function exceptionTrees(events) {
  /** @type {ExceptionNode[]} */
  const roots = [];
  /** @type {Map<number, ExceptionNode>} */
  let batch = new Map();
  for (const event of events) {
    if (event.name !== 'exception') continue;
    const index = event.attributes['exception.index'];
    /** @type {ExceptionNode} */
    const node = { event, children: [] };
    if (typeof index !== 'number') {
      roots.push(node);
      continue;
    }
    // Index 0 starts the events of one recordError call.
    if (index === 0) batch = new Map();
    batch.set(index, node);
    const parent = event.attributes['exception.parent'];
    const parentNode = typeof parent === 'number' ? batch.get(parent) : undefined;
    if (index === 0 || parentNode === undefined) roots.push(node);
    else parentNode.children.push(node);
  }
  return roots;
}

/**
 * @param {ExceptionNode} node
 * @param {string} [relation]
 * @returns {HTMLElement}
 */
export function exceptionBlock(node, relation) {
  const attributes = node.event.attributes;
  const type = valueText(attributes['exception.type'] ?? '(no type)');
  const code = attributes['exception.code'];
  const notes = Array.isArray(attributes['exception.notes']) ? attributes['exception.notes'].map(valueText) : [];
  const stack = attributes['exception.stacktrace'];
  const extra = Object.entries(attributes).filter(([key]) => !KNOWN.has(key));
  const category = attributes['error.category'];
  const retryable = attributes['exception.retryable'];
  return h(
    'div',
    { class: `exception${relation === undefined ? '' : ` ${relation}`}`, 'data-testid': 'exception' },
    relation === undefined ? null : h('div', { class: 'relation' }, relation === 'aggregate' ? 'one of its errors (AggregateError child)' : 'caused by'),
    h(
      'div',
      { class: 'head' },
      h('span', { class: 'type', 'data-testid': 'exception-type' }, type),
      code === undefined || valueText(code) === type ? null : h('span', { class: 'sub' }, ` code ${valueText(code)}`),
      ' ',
      typeof category === 'string' ? categoryBadge(category) : null,
      retryable === true ? h('span', { class: 'badge' }, 'retryable') : null,
      attributes['exception.truncated'] === true ? h('span', { class: 'badge', title: 'more causes or children than faultline records per error' }, 'truncated') : null,
    ),
    h('div', { class: 'message', 'data-testid': 'exception-message' }, valueText(attributes['exception.message'] ?? '')),
    notes.length === 0 ? null : h('ul', { class: 'notes' }, notes.map((note) => h('li', { 'data-testid': 'exception-note' }, note))),
    extra.length === 0 ? null : h('ul', { class: 'attrs' }, extra.map(([key, value]) => h('li', null, h('span', { class: 'key' }, key), ' ', valueText(value)))),
    typeof stack === 'string' && stack !== '' ? h('details', null, h('summary', null, 'stack trace'), h('pre', null, stack)) : null,
    node.children.map((child) => exceptionBlock(child, child.event.attributes['exception.relation'] === 'aggregate' ? 'aggregate' : 'cause')),
  );
}
