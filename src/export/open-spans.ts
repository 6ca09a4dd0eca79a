import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/** The attribute set on a span that was still open when the process exited and was ended then. */
export const ATTR_ENDED_AT_EXIT = 'faultline.span.ended_at_exit';

// Spans an app never ends would otherwise be kept here for ever: past this many, newer ones are
// not tracked (they are lost at exit, as without faultline).
const MAX_TRACKED = 4096;

/**
 * Keeps the spans that have started and not ended, so that `process.exit()` from inside a request
 * handler or a job's span still delivers that span: at exit each is ended, marked
 * `faultline.span.ended_at_exit=true`, and goes out with the rest.
 */
export class OpenSpans implements SpanProcessor {
  readonly #open = new Set<Span>();

  onStart(span: Span): void {
    if (this.#open.size < MAX_TRACKED && span.isRecording()) this.#open.add(span);
  }

  onEnd(span: ReadableSpan): void {
    this.#open.delete(span as Span);
  }

  /** Ends every span still open, newest first, so that children end before their parents. */
  endAll(): void {
    const open = [...this.#open].reverse();
    this.#open.clear();
    for (const span of open) {
      try {
        span.setAttribute(ATTR_ENDED_AT_EXIT, true);
        span.end();
      } catch { // eslint-disable-line faultline/no-blind-catch -- a span that refuses to end is lost, as it would have been
      }
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
