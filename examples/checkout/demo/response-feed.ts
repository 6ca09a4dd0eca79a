import { clock, countsTable, type CountRow } from './counts-table.ts';
import type { Style } from './style.ts';
import type { Exchange } from './traffic.ts';

// The feed when telemetry goes to a real Collector: the demo cannot read spans and logs back,
// so it shows what each failed request's problem+json answer says (code, status, trace ID) and
// leaves the rest to the backend, where the trace ID finds the trace and its logs.

export interface ResponseFeedOptions {
  style: Style;
  write(line: string): void;
}

export class ResponseFeed {
  readonly #options: ResponseFeedOptions;
  readonly #rows = new Map<string, CountRow>();

  constructor(options: ResponseFeedOptions) {
    this.#options = options;
  }

  announce(line: string): void {
    this.#options.write('');
    this.#options.write(line);
  }

  add(exchange: Exchange): void {
    if (exchange.status !== 0 && exchange.status < 400) return;
    const { style } = this.#options;
    const type = exchange.code ?? (exchange.status === 0 ? 'NO_ANSWER' : `HTTP_${exchange.status}`);
    const row = this.#rows.get(type) ?? { type, category: undefined, status: exchange.status || undefined, count: 0 };
    row.count += 1;
    this.#rows.set(type, row);
    const colour = exchange.status >= 500 || exchange.status === 0 ? style.red : style.yellow;
    this.#options.write(
      `${style.dim(clock(exchange.at))}  ${colour(style.bold(type.padEnd(22)))} ${colour(String(exchange.status || '-'))}  ${exchange.method} ${exchange.route}  ${style.dim('trace')} ${style.cyan(exchange.traceId ?? '-')}`,
    );
    if (exchange.detail !== undefined) this.#options.write(`    ${exchange.detail}`);
  }

  countsTable(): string[] {
    return countsTable(`errors by type · from the answers · ${clock(Date.now())}`, [...this.#rows.values()], this.#options.style);
  }
}
