import { getJson, refresher } from './api.js';
import { categoryBadge } from './badges.js';
import { h, replace } from './dom.js';
import { ago, clock } from './format.js';
import { sparkline } from './sparkline.js';

// One error group: what it is, how often, and each kept occurrence with its trace, route and time.

/**
 * @param {HTMLElement} root
 * @param {string} key
 * @returns {import('./types.js').View}
 */
export function groupView(root, key) {
  const body = h('div', null, h('p', { class: 'empty' }, 'Loading…'));
  replace(root, h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← all errors')), body);
  const refresh = refresher(async () => {
    const answer = await getJson(`/api/errors/${encodeURIComponent(key)}`);
    if (!answer.ok) {
      replace(body, h('p', { class: 'problem' }, answer.error));
      return;
    }
    render(body, /** @type {import('./types.js').GroupDetail} */ (answer.body));
  });
  refresh();
  return {
    onChange(notice) {
      if (notice.errors) refresh();
    },
    unmount() {},
  };
}

/**
 * @param {HTMLElement} body
 * @param {import('./types.js').GroupDetail} detail
 */
function render(body, { group, sparkline: scale }) {
  const facts = [
    ['Code', group.code ?? '–'],
    ['Category', categoryBadge(group.category)],
    ['Count', String(group.count)],
    ['First seen', `${clock(group.firstSeen)} (${ago(group.firstSeen)})`],
    ['Last seen', `${clock(group.lastSeen)} (${ago(group.lastSeen)})`],
    ['Services', group.services.join(', ')],
    ['Fingerprint', group.fingerprinted ? group.key : 'none (grouped by type)'],
  ];
  const occurrences = group.occurrences.map((occurrence) =>
    h(
      'tr',
      { 'data-testid': 'occurrence' },
      h('td', { class: 'time' }, clock(occurrence.time)),
      h(
        'td',
        { class: 'mono' },
        h('a', { href: `#/traces/${encodeURIComponent(occurrence.traceId)}?span=${encodeURIComponent(occurrence.spanId)}`, 'data-testid': 'occurrence-trace' }, occurrence.traceId),
        occurrence.traceKept ? null : h('span', { class: 'sub', title: 'the receiver let this trace go to stay within its limits' }, ' (let go)'),
      ),
      h('td', null, occurrence.route),
      h('td', null, occurrence.service),
      h('td', { class: 'message' }, h('div', { class: 'text', title: occurrence.message }, occurrence.message)),
    ),
  );
  replace(
    body,
    h('h2', { 'data-testid': 'group-title' }, group.type),
    h('p', { class: 'message big', 'data-testid': 'group-message' }, group.message),
    group.notes.length === 0 ? null : h('ul', { class: 'notes' }, group.notes.map((note) => h('li', { 'data-testid': 'group-note' }, note))),
    h('div', { class: 'facts' }, h('dl', null, facts.map(([term, value]) => [h('dt', null, term), h('dd', null, value)])), sparkline(group.sparkline, scale, { width: 360, height: 48 })),
    h('h3', null, `Occurrences (the last ${group.occurrences.length} of ${group.count})`),
    h(
      'table',
      { class: 'list' },
      h('thead', null, h('tr', null, ['Time', 'Trace ID', 'Route', 'Service', 'Message'].map((title) => h('th', null, title)))),
      h('tbody', null, occurrences),
    ),
  );
}
