import { describeFacts } from '../errors/classify.ts';
import { memoFor } from '../errors/memo.ts';
import { readThrown } from '../errors/thrown.ts';

/**
 * Whether an error is a cancellation rather than a failure: what `classify` puts in the `cancelled`
 * category (an `AbortError` of any kind, `ABORT_ERR` and the other cancel codes, faultline's
 * `Cancelled`, an HTTP 499), or, when `signal` is given and has aborted, that signal's own reason
 * (`controller.abort(reason)` rejects with `reason` itself, whatever it is).
 *
 * The answer to Python's "always re-raise CancelledError": code that catches broadly rethrows what
 * this calls a cancellation, so shutdown and sibling cancellation keep working.
 *
 *     } catch (err) {
 *       if (isCancellation(err, signal)) throw err;
 *       log.warn({ err }, 'falling back');
 *     }
 *
 * Never throws.
 */
export function isCancellation(error: unknown, signal?: AbortSignal): boolean {
  try {
    if (signal?.aborted === true && error === signal.reason) return true;
    return describeFacts(readThrown(error), memoFor(error)).category === 'cancelled';
  } catch { // eslint-disable-line faultline/no-blind-catch -- a probe that cannot look answers no
    return false;
  }
}
