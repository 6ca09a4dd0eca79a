import { h } from './dom.js';

// Small labelled chips. Colours come from fixed classes: a received value picks one only when it is
// one of the names below, never by becoming a class name itself.

const CATEGORIES = new Set(['validation', 'not_found', 'conflict', 'unauthorized', 'forbidden', 'rate_limited', 'dependency', 'timeout', 'cancelled', 'internal']);

/** @param {string | null | undefined} category */
export function categoryBadge(category) {
  if (category === null || category === undefined || category === '') return h('span', { class: 'badge cat-none' }, '–');
  return h('span', { class: `badge ${CATEGORIES.has(category) ? `cat-${category}` : 'cat-other'}`, 'data-testid': 'category' }, category);
}

/**
 * @param {string} service
 * @param {number} index colour slot
 */
export function serviceBadge(service, index) {
  return h('span', { class: `service svc-${index}` }, service);
}
