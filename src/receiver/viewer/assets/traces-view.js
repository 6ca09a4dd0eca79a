import { getJson, refresher } from './api.js';
import { h, replace } from './dom.js';
import { clock, duration, nanosToMs, severityOf, valueText } from './format.js';

// The kept traces, the most recently updated first, and the newest log records.

/**
 * @param {HTMLElement} root
 * @returns {import('./types.js').View}
 */
export function tracesView(root) {
  const body = h('div', null, h('p', { class: 'empty' }, 'Loading…'));
  replace(root, h('h2', null, 'Recent traces'), body);
  const refresh = refresher(async () => {
    const answer = await getJson('/api/traces?limit=200');
    if (!answer.ok) {
      replace(body, h('p', { class: 'problem' }, answer.error));
      return;
    }
    const { traces } = /** @type {{ traces: import('./types.js').TraceSummary[] }} */ (answer.body);
    if (traces.length === 0) {
      replace(body, h('p', { class: 'empty' }, 'No traces received yet.'));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'list' },
        h('thead', null, h('tr', null, ['Started', 'Root span', 'Services', 'Spans', 'Duration', 'Errors', 'Trace ID'].map((title) => h('th', null, title)))),
        h(
          'tbody',
          null,
          traces.map((trace) =>
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
          ),
        ),
      ),
    );
  });
  refresh();
  return {
    onChange(notice) {
      if (notice.traces === null || notice.traces.length > 0) refresh();
    },
    unmount() {},
  };
}

/**
 * @param {HTMLElement} root
 * @returns {import('./types.js').View}
 */
export function logsView(root) {
  const body = h('div', null, h('p', { class: 'empty' }, 'Loading…'));
  replace(root, h('h2', null, 'Recent log records'), body);
  const refresh = refresher(async () => {
    const answer = await getJson('/api/logs?limit=300');
    if (!answer.ok) {
      replace(body, h('p', { class: 'problem' }, answer.error));
      return;
    }
    const { logs } = /** @type {{ logs: import('./types.js').LogRecord[] }} */ (answer.body);
    if (logs.length === 0) {
      replace(body, h('p', { class: 'empty' }, 'No log records received yet.'));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'list' },
        h('thead', null, h('tr', null, ['Time', 'Service', 'Level', 'Message', 'Trace'].map((title) => h('th', null, title)))),
        h(
          'tbody',
          null,
          logs.map((log) => {
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
          }),
        ),
      ),
    );
  });
  refresh();
  return {
    onChange(notice) {
      if (notice.logs) refresh();
    },
    unmount() {},
  };
}
