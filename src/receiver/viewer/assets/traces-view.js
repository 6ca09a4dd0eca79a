import { getJson, refresher } from './api.js';
import { h, replace } from './dom.js';
import { clock, duration, nanosToMs, severityOf, valueText } from './format.js';

// The kept traces, the most recently updated first, and the newest log records.

/**
 * A titled table of what one API path lists, fetched again when `concerns` says a notice is about it.
 * @template T
 * @param {HTMLElement} root
 * @param {{ title: string, path: string, key: string, empty: string, columns: string[], row: (item: T) => HTMLTableRowElement, concerns: (notice: import('./types.js').ChangeNotice) => boolean }} spec
 * @returns {import('./types.js').View}
 */
function listView(root, spec) {
  const body = h('div', null, h('p', { class: 'empty' }, 'Loading…'));
  replace(root, h('h2', null, spec.title), body);
  const refresh = refresher(async () => {
    const answer = await getJson(spec.path);
    if (!answer.ok) {
      replace(body, h('p', { class: 'problem' }, answer.error));
      return;
    }
    const items = /** @type {Record<string, T[]>} */ (answer.body)[spec.key] ?? [];
    if (items.length === 0) {
      replace(body, h('p', { class: 'empty' }, spec.empty));
      return;
    }
    replace(body, h('table', { class: 'list' }, h('thead', null, h('tr', null, spec.columns.map((title) => h('th', null, title)))), h('tbody', null, items.map(spec.row))));
  });
  refresh();
  return {
    onChange(notice) {
      if (spec.concerns(notice)) refresh();
    },
    unmount() {},
  };
}

/**
 * @param {HTMLElement} root
 * @returns {import('./types.js').View}
 */
export function tracesView(root) {
  return listView(root, {
    title: 'Recent traces',
    path: '/api/traces?limit=200',
    key: 'traces',
    empty: 'No traces received yet.',
    columns: ['Started', 'Root span', 'Services', 'Spans', 'Duration', 'Errors', 'Trace ID'],
    concerns: (notice) => notice.traces === null || notice.traces.length > 0,
    /** @param {import('./types.js').TraceSummary} trace */
    row: (trace) =>
      h(
        'tr',
        { 'data-testid': 'trace-row', class: trace.errorTypes.length > 0 || trace.errorSpans > 0 ? 'failed' : null },
        h('td', { class: 'time' }, clock(trace.start)),
        h('td', null, `${trace.service} · ${trace.name}`),
        h('td', null, trace.services.join(', ')),
        h('td', { class: 'num' }, trace.spanCount),
        h('td', { class: 'num' }, duration(trace.durationMs)),
        h('td', null, trace.errorTypes.join(', ')),
        h('td', { class: 'mono' }, h('a', { href: `#/traces/${encodeURIComponent(trace.traceId)}` }, trace.traceId)),
      ),
  });
}

/**
 * @param {HTMLElement} root
 * @returns {import('./types.js').View}
 */
export function logsView(root) {
  return listView(root, {
    title: 'Recent log records',
    path: '/api/logs?limit=300',
    key: 'logs',
    empty: 'No log records received yet.',
    columns: ['Time', 'Service', 'Level', 'Message', 'Trace'],
    concerns: (notice) => notice.logs,
    /** @param {import('./types.js').LogRecord} log */
    row: (log) => {
      const service = log.resource['service.name'];
      return h(
        'tr',
        { 'data-testid': 'log-row' },
        h('td', { class: 'time' }, clock(nanosToMs(log.timeUnixNano !== '0' ? log.timeUnixNano : log.observedTimeUnixNano))),
        h('td', null, typeof service === 'string' ? service : '-'),
        h('td', null, severityOf(log.severityNumber, log.severityText)),
        h('td', { class: 'message' }, h('div', { class: 'text' }, log.body === undefined ? '' : valueText(log.body))),
        h('td', { class: 'mono' }, log.traceId === undefined ? '' : h('a', { href: `#/traces/${encodeURIComponent(log.traceId)}` }, log.traceId.slice(0, 16))),
      );
    },
  });
}
