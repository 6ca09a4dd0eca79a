import { errorsView } from './errors-view.js';
import { h, replace } from './dom.js';
import { groupView } from './group-view.js';
import { traceView } from './trace-view.js';
import { logsView, tracesView } from './traces-view.js';

// The page's entry: routes on the URL's hash (#/, #/errors/<key>, #/traces, #/traces/<id>, #/logs),
// keeps one server-sent event stream open and hands each change notice to the view on screen.

const main = /** @type {HTMLElement} */ (document.getElementById('view'));
const statsBar = /** @type {HTMLElement} */ (document.getElementById('stats'));
const liveDot = /** @type {HTMLElement} */ (document.getElementById('live'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));

/** @type {import('./types.js').View | undefined} */
let current;

function route() {
  current?.unmount();
  const hash = location.hash.startsWith('#') ? location.hash.slice(1) : '';
  const [path = '/', search = ''] = hash.split('?', 2);
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter((part) => part !== '');
  /** @type {string[]} */
  let decoded;
  try {
    decoded = parts.map((part) => decodeURIComponent(part));
  } catch {
    decoded = [];
  }
  const [section = '', id] = decoded;
  for (const link of nav.querySelectorAll('a')) link.classList.toggle('active', link.dataset['section'] === (section === '' ? 'errors' : section));
  if (section === 'errors' && id !== undefined) current = groupView(main, id);
  else if (section === 'traces' && id !== undefined) current = traceView(main, id, query);
  else if (section === 'traces') current = tracesView(main);
  else if (section === 'logs') current = logsView(main);
  else current = errorsView(main, query);
  window.scrollTo(0, 0);
}

/** @param {import('./types.js').Stats} stats */
function showStats(stats) {
  const { kept, letGo, limits } = stats;
  /**
   * @param {string} name
   * @param {number} count
   * @param {number} limit
   * @param {number} gone
   * @param {string} testId
   */
  const item = (name, count, limit, gone, testId) =>
    h('span', { class: 'stat', title: `kept ${count} of at most ${limit}; ${gone} let go to stay within the limit`, 'data-testid': testId }, `${name} ${count}`, gone > 0 ? h('span', { class: 'gone' }, ` (${gone} let go)`) : null);
  replace(
    statsBar,
    item('traces', kept.traces, limits.maxTraces, letGo.traces, 'stat-traces'),
    item('spans', kept.spans, limits.maxSpans, letGo.spans, 'stat-spans'),
    item('logs', kept.logRecords, limits.maxLogRecords, letGo.logRecords, 'stat-logs'),
    item('error groups', kept.errorGroups, limits.maxErrorGroups, letGo.errorGroups, 'stat-groups'),
  );
}

function connect() {
  const events = new EventSource('/api/events');
  events.addEventListener('open', () => {
    liveDot.className = 'live on';
    liveDot.textContent = 'live';
  });
  events.addEventListener('error', () => {
    liveDot.className = 'live off';
    liveDot.textContent = 'reconnecting…';
  });
  events.addEventListener('change', (event) => {
    /** @type {import('./types.js').ChangeNotice} */
    let notice;
    try {
      notice = JSON.parse(/** @type {MessageEvent<string>} */ (event).data);
    } catch {
      return;
    }
    showStats(notice.stats);
    current?.onChange(notice);
  });
}

window.addEventListener('hashchange', route);
route();
connect();
