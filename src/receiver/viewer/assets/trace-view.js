import { getJson, refresher } from './api.js';
import { serviceBadge } from './badges.js';
import { h, replace } from './dom.js';
import { clock, colourIndex, duration, nanosToMs, severityOf, valueText } from './format.js';
import { exceptionBlock, exceptionTrees } from './exceptions.js';

// One trace: its spans as a waterfall across services, the errors recorded on them with their
// whole cause chains, and its log lines and errors interleaved by time.

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const SPAN_KIND_CLIENT = 3;
const SERVICE_COLOURS = 8;
/** Log attributes the timeline leaves out of its one-line summary (all are in the row's details). */
const QUIET_LOG_KEYS = new Set(['err', 'hostname', 'pid']);

/**
 * @typedef {import('./types.js').Span} Span
 * @typedef {import('./types.js').LogRecord} LogRecord
 */

/**
 * @param {HTMLElement} root
 * @param {string} traceId
 * @param {URLSearchParams} query
 * @returns {import('./types.js').View}
 */
export function traceView(root, traceId, query) {
  /** @type {{ selected: string | undefined, scrolled: boolean }} */
  const state = { selected: query.get('span') ?? undefined, scrolled: false };
  const body = h('div', null, h('p', { class: 'empty' }, 'Loading…'));
  replace(root, h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← errors'), ' · ', h('a', { href: '#/traces' }, 'traces')), body);
  const refresh = refresher(async () => {
    const answer = await getJson(`/api/traces/${encodeURIComponent(traceId)}`);
    if (!answer.ok) {
      replace(body, h('p', { class: 'problem', 'data-testid': 'trace-missing' }, `Trace ${traceId}: ${answer.error}`));
      return;
    }
    render(body, /** @type {import('./types.js').TraceDetail} */ (answer.body), state);
  });
  refresh();
  return {
    onChange(notice) {
      if (notice.traces === null || notice.traces.includes(traceId)) refresh();
    },
    unmount() {},
  };
}

/**
 * Spans depth first from the roots (spans whose parent is not in the trace), each level by start.
 * @param {Span[]} spans
 * @returns {{ span: Span, depth: number }[]}
 */
function ordered(spans) {
  const ids = new Set(spans.map((span) => span.spanId));
  /** @type {Map<string, Span[]>} */
  const children = new Map();
  /** @type {Span[]} */
  const roots = [];
  for (const span of spans) {
    if (span.parentSpanId === undefined || !ids.has(span.parentSpanId)) roots.push(span);
    else children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span]);
  }
  /** @param {Span} a @param {Span} b */
  const byStart = (a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : BigInt(a.startTimeUnixNano) > BigInt(b.startTimeUnixNano) ? 1 : 0);
  /** @type {{ span: Span, depth: number }[]} */
  const out = [];
  const seen = new Set();
  /** @param {Span} span @param {number} depth */
  const visit = (span, depth) => {
    if (seen.has(span.spanId)) return;
    seen.add(span.spanId);
    out.push({ span, depth });
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child, depth + 1);
  };
  for (const span of roots.sort(byStart)) visit(span, 0);
  return out;
}

/** @param {import('./types.js').Attributes} resource */
function serviceOf(resource) {
  const name = resource['service.name'];
  return typeof name === 'string' && name !== '' ? name : '-';
}

/**
 * @param {HTMLElement} body
 * @param {import('./types.js').TraceDetail} detail
 * @param {{ selected: string | undefined, scrolled: boolean }} state
 */
function render(body, detail, state) {
  const rows = ordered(detail.spans);
  const times = [
    ...detail.spans.flatMap((span) => [BigInt(span.startTimeUnixNano), BigInt(span.endTimeUnixNano)]),
    ...detail.logs.map((log) => BigInt(logTime(log))),
  ].filter((time) => time > 0n);
  const start = times.reduce((min, time) => (time < min ? time : min), times[0] ?? 0n);
  const end = times.reduce((max, time) => (time > max ? time : max), times[0] ?? 0n);
  const totalMs = Math.max(Number(end - start) / 1e6, 0.001);
  /** @param {string} unixNano */
  const offsetMs = (unixNano) => Number(BigInt(unixNano) - start) / 1e6;
  const services = [...new Set([...detail.spans.map((span) => serviceOf(span.resource)), ...detail.logs.map((log) => serviceOf(log.resource))])];
  /** @param {string} service */
  const badge = (service) => serviceBadge(service, colourIndex(service, SERVICE_COLOURS));
  const root = rows[0]?.span;

  const detailsBox = h('div', { class: 'span-details', 'data-testid': 'span-details' });
  /** @type {Map<string, HTMLElement>} */
  const rowElements = new Map();
  /** @param {string} spanId */
  const select = (spanId) => {
    state.selected = spanId;
    for (const [id, element] of rowElements) element.classList.toggle('selected', id === spanId);
    const span = detail.spans.find((candidate) => candidate.spanId === spanId);
    if (span === undefined) replace(detailsBox);
    else replace(detailsBox, spanDetails(span, offsetMs));
  };

  const waterfall = h(
    'div',
    { class: 'waterfall', role: 'table', 'aria-label': 'spans of the trace' },
    h('div', { class: 'axis' }, h('span', null, '0'), h('span', null, duration(totalMs / 2)), h('span', null, duration(totalMs))),
    rows.map(({ span, depth }) => {
      const startMs = offsetMs(span.startTimeUnixNano);
      const spanMs = Math.max(0, Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6);
      const failed = span.status.code === 2 || span.events.some((event) => event.name === 'exception');
      const bar = h('div', { class: `bar svc-bg-${colourIndex(serviceOf(span.resource), SERVICE_COLOURS)}${failed ? ' failed' : ''}` });
      bar.style.left = `${((startMs / totalMs) * 100).toFixed(3)}%`;
      bar.style.width = `${Math.max((spanMs / totalMs) * 100, 0.2).toFixed(3)}%`;
      const track = h('div', { class: 'track' }, bar);
      for (const event of span.events) {
        if (event.name !== 'exception') continue;
        const marker = h('div', { class: 'marker', title: `${valueText(event.attributes['exception.type'] ?? 'exception')} at +${duration(offsetMs(event.timeUnixNano))}` });
        marker.style.left = `${((offsetMs(event.timeUnixNano) / totalMs) * 100).toFixed(3)}%`;
        track.append(marker);
      }
      const name = h('div', { class: 'name' }, badge(serviceOf(span.resource)), ' ', h('span', { class: 'span-name' }, span.name));
      name.style.paddingLeft = `${Math.min(depth, 20) * 14 + 4}px`;
      const row = h(
        'div',
        { class: `span-row${failed ? ' failed' : ''}`, role: 'row', tabindex: 0, 'data-testid': 'span', 'data-key': span.spanId },
        name,
        track,
        h('div', { class: 'dur num' }, duration(spanMs)),
      );
      row.addEventListener('click', () => {
        select(span.spanId);
      });
      row.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') select(span.spanId);
      });
      rowElements.set(span.spanId, row);
      return row;
    }),
  );

  const errorSpans = rows.filter(({ span }) => span.events.some((event) => event.name === 'exception'));
  const errors = errorSpans.map(({ span }) =>
    h(
      'div',
      { class: 'span-errors', 'data-testid': 'span-errors' },
      h(
        'h4',
        null,
        badge(serviceOf(span.resource)),
        ' ',
        span.name,
        h('span', { class: 'sub' }, ` +${duration(offsetMs(span.startTimeUnixNano))}`),
        span.kind === SPAN_KIND_CLIENT ? h('span', { class: 'sub', title: 'an HTTP or database client span records the failed call; the error is counted where the app handles it' }, ' · seen by the client span, not counted here') : null,
      ),
      exceptionTrees(span.events).map((node) => exceptionBlock(node)),
    ),
  );

  replace(
    body,
    h('h2', { 'data-testid': 'trace-title' }, root === undefined ? `Trace ${detail.traceId}` : `${serviceOf(root.resource)} · ${root.name}`),
    h(
      'p',
      { class: 'sub' },
      h('span', { class: 'mono', 'data-testid': 'trace-id' }, detail.traceId),
      ` · ${detail.spans.length} spans · ${detail.logs.length} log records · ${duration(totalMs)} · started ${clock(Number(start / 1_000_000n))} · `,
      services.map((service, index) => [index === 0 ? null : ' ', badge(service)]),
      detail.spansLetGo > 0 ? h('span', { class: 'warning' }, ` · ${detail.spansLetGo} spans of this trace were let go (limit per trace)`) : null,
    ),
    h('h3', null, 'Spans'),
    detail.spans.length === 0 ? h('p', { class: 'empty' }, 'No span of this trace is kept (only its log records).') : waterfall,
    detailsBox,
    h('h3', null, `Errors (${errorSpans.length === 0 ? 'none recorded' : `on ${errorSpans.length} span${errorSpans.length === 1 ? '' : 's'}`})`),
    errors,
    h('h3', null, 'Logs and errors by time'),
    timeline(detail, offsetMs, badge, select),
  );
  const preselected = state.selected ?? errorSpans[0]?.span.spanId;
  if (preselected !== undefined) {
    select(preselected);
    const row = rowElements.get(preselected);
    if (row !== undefined && !state.scrolled && state.selected !== undefined) {
      state.scrolled = true;
      row.scrollIntoView({ block: 'center' });
    }
  }
}

/** @param {LogRecord} log */
function logTime(log) {
  return log.timeUnixNano !== '0' ? log.timeUnixNano : log.observedTimeUnixNano;
}

/**
 * @param {Span} span
 * @param {(unixNano: string) => number} offsetMs
 */
function spanDetails(span, offsetMs) {
  const spanMs = Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6;
  const facts = [
    ['span', `${span.name} (${KINDS[span.kind] ?? span.kind})`],
    ['span ID', span.spanId],
    ['parent', span.parentSpanId ?? '(root)'],
    ['start', `${clock(nanosToMs(span.startTimeUnixNano))} (+${duration(offsetMs(span.startTimeUnixNano))})`],
    ['duration', duration(spanMs)],
    ['status', `${['unset', 'ok', 'error'][span.status.code] ?? span.status.code}${span.status.message === undefined ? '' : `: ${span.status.message}`}`],
    ['scope', `${span.scope.name}${span.scope.version === '' ? '' : ` ${span.scope.version}`}`],
  ];
  return [
    h('h4', null, 'Span'),
    h('dl', { class: 'kv' }, facts.map(([key, value]) => [h('dt', null, key), h('dd', null, value)])),
    attributeTable('Attributes', span.attributes),
    h('details', null, h('summary', null, 'Resource'), attributeTable('', span.resource)),
  ];
}

/**
 * @param {string} title
 * @param {import('./types.js').Attributes} attributes
 */
function attributeTable(title, attributes) {
  const entries = Object.entries(attributes);
  return [
    title === '' ? null : h('h4', null, title),
    entries.length === 0
      ? h('p', { class: 'empty' }, 'none')
      : h('table', { class: 'attributes' }, h('tbody', null, entries.map(([key, value]) => h('tr', null, h('th', null, key), h('td', null, valueText(value)))))),
  ];
}

/**
 * The trace's log records and the errors recorded in it, merged by time.
 * @param {import('./types.js').TraceDetail} detail
 * @param {(unixNano: string) => number} offsetMs
 * @param {(service: string) => HTMLElement} badge
 * @param {(spanId: string) => void} select
 */
function timeline(detail, offsetMs, badge, select) {
  /** @type {{ time: bigint, row: HTMLElement }[]} */
  const entries = [];
  for (const log of detail.logs) {
    const severity = severityOf(log.severityNumber, log.severityText);
    const fields = Object.entries(log.attributes).filter(([key]) => !QUIET_LOG_KEYS.has(key));
    const line = h(
      'div',
      { class: 'line' },
      h('span', { class: 'body', 'data-testid': 'log-body' }, log.body === undefined ? '' : valueText(log.body)),
      fields.length === 0 ? null : h('span', { class: 'fields' }, fields.map(([key, value]) => [' ', h('span', { class: 'key' }, key), '=', valueText(value)])),
    );
    const full = Object.keys(log.attributes).length === 0 ? null : h('details', null, h('summary', null, 'all attributes'), attributeTable('', log.attributes));
    entries.push({
      time: BigInt(logTime(log)),
      row: timelineRow(log, offsetMs(logTime(log)), badge(serviceOf(log.resource)), h('span', { class: `level sev-${Math.min(6, Math.ceil(log.severityNumber / 4))}` }, severity), [line, full], 'log-line', select),
    });
  }
  for (const span of detail.spans) {
    for (const node of exceptionTrees(span.events)) {
      const attributes = node.event.attributes;
      const text = `${valueText(attributes['exception.type'] ?? 'exception')}: ${valueText(attributes['exception.message'] ?? '')}`;
      entries.push({
        time: BigInt(node.event.timeUnixNano),
        row: timelineRow({ spanId: span.spanId }, offsetMs(node.event.timeUnixNano), badge(serviceOf(span.resource)), h('span', { class: 'level error' }, 'ERROR'), [h('div', { class: 'line' }, h('span', { class: 'body' }, text), h('span', { class: 'sub' }, ` on ${span.name}`))], 'timeline-exception', select),
      });
    }
  }
  if (entries.length === 0) return h('p', { class: 'empty' }, 'No log records or errors in this trace.');
  entries.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return h('div', { class: 'timeline' }, entries.map((entry) => entry.row));
}

/**
 * @param {{ spanId?: string }} source
 * @param {number} atMs
 * @param {HTMLElement} service
 * @param {HTMLElement} level
 * @param {(Node | null)[]} content
 * @param {string} testId
 * @param {(spanId: string) => void} select
 */
function timelineRow(source, atMs, service, level, content, testId, select) {
  const spanId = source.spanId;
  return h(
    'div',
    { class: 'entry', 'data-testid': testId },
    h('span', { class: 'at num' }, `+${duration(atMs)}`),
    service,
    level,
    h('div', { class: 'content' }, content),
    spanId === undefined || spanId === '' ? null : h('button', { type: 'button', class: 'link', title: 'show the span', onclick: () => select(spanId) }, 'span'),
  );
}
