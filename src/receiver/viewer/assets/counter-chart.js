import { h, replace } from './dom.js';
import { timeOfDay } from './format.js';

// `app.errors` by error type over time, drawn by uPlot (vendored, loaded by index.html before the
// page's modules). The lines are the counter's totals after each export: their slope is the rate.

/** Tick spacings of the time axis, in seconds. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

export const PALETTE = ['#e4572e', '#2e86ab', '#f3a712', '#6a4c93', '#29bf12', '#d81159', '#0e9594', '#8f6b3c', '#5c80bc', '#b33f62'];

export class CounterChart {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    /** @type {uPlot | undefined} */
    this.plot = undefined;
    /** @type {string} */
    this.typesKey = '';
    this.onResize = () => {
      this.plot?.setSize(this.size());
    };
    window.addEventListener('resize', this.onResize);
  }

  size() {
    return { width: Math.max(320, this.container.clientWidth - 8), height: 220 };
  }

  /** @param {import('./types.js').CounterSnapshot} snapshot */
  update(snapshot) {
    if (snapshot.types.length === 0 || snapshot.times.length === 0) {
      this.destroyPlot();
      replace(this.container, h('p', { class: 'empty' }, 'No app.errors counter received yet: it arrives with the first metrics export (OTEL_METRIC_EXPORT_INTERVAL).'));
      return;
    }
    /** @type {uPlot.AlignedData} */
    const data = [snapshot.times.map((ms) => ms / 1000), ...snapshot.values];
    const typesKey = JSON.stringify(snapshot.types);
    if (this.plot !== undefined && typesKey === this.typesKey) {
      this.plot.setData(data);
      return;
    }
    this.destroyPlot();
    this.container.replaceChildren();
    this.typesKey = typesKey;
    /** @type {uPlot.Options} */
    const options = {
      ...this.size(),
      class: 'counter-chart',
      scales: { x: { time: true }, y: { range: (_self, _min, max) => [0, Math.max(1, Math.ceil(max * 1.15))] } },
      axes: [
        // Ticks on whole seconds (or coarser), labelled as times of day.
        { stroke: '#888', grid: { stroke: '#8883' }, incrs: TIME_STEPS, values: (_self, splits) => splits.map((seconds) => timeOfDay(seconds * 1000)) },
        { stroke: '#888', grid: { stroke: '#8883' }, label: 'errors counted' },
      ],
      series: [
        {},
        ...snapshot.types.map((type, index) => ({
          label: type,
          stroke: PALETTE[index % PALETTE.length] ?? '#888',
          width: 2,
          paths: uPlot.paths.stepped?.({ align: 1 }),
          points: { show: false },
        })),
      ],
      legend: { live: true },
    };
    this.plot = new uPlot(options, data, this.container);
  }

  destroyPlot() {
    this.plot?.destroy();
    this.plot = undefined;
    this.typesKey = '';
  }

  destroy() {
    this.destroyPlot();
    window.removeEventListener('resize', this.onResize);
  }
}
