import { getJson, refresher } from './api.js';
import { categoryBadge } from './badges.js';
import { CounterChart } from './counter-chart.js';
import { h, replace } from './dom.js';
import { ago, clock } from './format.js';
import { sparkline } from './sparkline.js';

// The start page: errors grouped by fingerprint, filtered by service, type and category, and the
// `app.errors` counter by type over time.

const FILTERS = /** @type {const} */ (['service', 'type', 'category']);

/**
 * @param {HTMLElement} root
 * @param {URLSearchParams} query
 * @returns {import('./types.js').View}
 */
export function errorsView(root, query) {
  /** @type {Record<string, string>} */
  const filter = {};
  for (const name of FILTERS) {
    const value = query.get(name);
    if (value !== null && value !== '') filter[name] = value;
  }
  const filterBar = h('div', { class: 'filters', role: 'search' });
  const table = h('div', { class: 'groups' }, h('p', { class: 'empty' }, 'Loading…'));
  const chartBox = h('div', { class: 'chart' });
  replace(
    root,
    h('section', null, h('h2', null, 'Errors by fingerprint'), filterBar, table),
    h('section', null, h('h2', null, 'app.errors by type', h('span', { class: 'hint' }, ' · the counter\'s total per error.type, all services')), chartBox),
  );
  const chart = new CounterChart(chartBox);

  const refreshGroups = refresher(async () => {
    const params = new URLSearchParams(filter).toString();
    const answer = await getJson(/** @type {string} */ (`/api/errors${params === '' ? '' : `?${params}`}`));
    if (!answer.ok) {
      replace(table, h('p', { class: 'problem' }, answer.error));
      return;
    }
    const list = /** @type {import('./types.js').ErrorList} */ (answer.body);
    renderFilters(filterBar, list.facets, filter);
    renderGroups(table, list, filter);
  });
  const refreshChart = refresher(async () => {
    const answer = await getJson('/api/error-counter');
    if (answer.ok) chart.update(/** @type {import('./types.js').CounterSnapshot} */ (answer.body));
  });
  refreshGroups();
  refreshChart();
  return {
    onChange(notice) {
      if (notice.errors) refreshGroups();
      if (notice.counter) refreshChart();
    },
    unmount() {
      chart.destroy();
    },
  };
}

/**
 * @param {HTMLElement} bar
 * @param {{ services: string[], types: string[], categories: string[] }} facets
 * @param {Record<string, string>} filter
 */
function renderFilters(bar, facets, filter) {
  /** @type {Record<string, string[]>} */
  const choices = { service: facets.services, type: facets.types, category: facets.categories };
  const selects = FILTERS.map((name) => {
    const current = filter[name] ?? '';
    const values = [...new Set([...(choices[name] ?? []), ...(current === '' ? [] : [current])])].sort();
    const select = h(
      'select',
      { 'aria-label': `filter by ${name}`, 'data-testid': `filter-${name}` },
      h('option', { value: '' }, `any ${name}`),
      values.map((value) => {
        const option = h('option', { value }, value);
        option.selected = value === current;
        return option;
      }),
    );
    select.addEventListener('change', () => {
      const next = new URLSearchParams(filter);
      if (select.value === '') next.delete(name);
      else next.set(name, select.value);
      const params = next.toString();
      location.hash = `#/${params === '' ? '' : `?${params}`}`;
    });
    return h('label', null, select);
  });
  const active = Object.keys(filter).length > 0;
  replace(bar, selects, active ? h('a', { href: '#/', class: 'clear' }, 'clear filters') : null);
}

/**
 * @param {HTMLElement} container
 * @param {import('./types.js').ErrorList} list
 * @param {Record<string, string>} filter
 */
function renderGroups(container, list, filter) {
  if (list.groups.length === 0) {
    const waiting = Object.keys(filter).length === 0 ? 'No errors received yet. Errors appear here as their spans arrive.' : 'No errors match these filters.';
    replace(container, h('p', { class: 'empty', 'data-testid': 'no-errors' }, waiting));
    return;
  }
  const rows = list.groups.map((group) => {
    const link = `#/errors/${encodeURIComponent(group.key)}`;
    const notes = group.notes.slice(0, 3);
    const row = h(
      'tr',
      { class: 'clickable', 'data-testid': 'error-group', 'data-key': group.key },
      h(
        'td',
        { class: 'type' },
        h('a', { href: link, 'data-testid': 'group-type' }, group.type),
        group.code !== null && group.code !== group.type ? h('div', { class: 'sub' }, `code ${group.code}`) : null,
        group.fingerprinted ? null : h('div', { class: 'sub', title: 'the exception event carries no exception.fingerprint: grouped by type' }, 'no fingerprint'),
      ),
      h('td', null, categoryBadge(group.category)),
      h('td', { class: 'count num', 'data-testid': 'group-count' }, group.count),
      h('td', { class: 'time', title: clock(group.firstSeen) }, ago(group.firstSeen)),
      h('td', { class: 'time', title: clock(group.lastSeen) }, ago(group.lastSeen)),
      h('td', null, sparkline(group.sparkline, list.sparkline)),
      h(
        'td',
        { class: 'message' },
        h('div', { class: 'text', title: group.message, 'data-testid': 'group-message' }, group.message),
        notes.length === 0 ? null : h('ul', { class: 'notes' }, notes.map((note) => h('li', { 'data-testid': 'group-note' }, note))),
        group.notes.length > notes.length ? h('div', { class: 'sub' }, `+${group.notes.length - notes.length} more notes`) : null,
      ),
      h('td', { class: 'services' }, group.services.join(', ')),
    );
    row.addEventListener('click', (event) => {
      if (event.target instanceof Element && event.target.closest('a') !== null) return;
      location.hash = link;
    });
    return row;
  });
  replace(
    container,
    h(
      'table',
      { class: 'list' },
      h('thead', null, h('tr', null, ['Type', 'Category', 'Count', 'First seen', 'Last seen', 'Over time', 'Example message and notes', 'Services'].map((title) => h('th', null, title)))),
      h('tbody', null, rows),
    ),
  );
}
