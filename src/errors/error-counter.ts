import type { Counter, Meter } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { ERROR_CATEGORIES } from './category.ts';
import { getRuntime } from '../runtime.ts';
import { ATTR_ERROR_CATEGORY, ATTR_ERROR_HANDLED, ATTR_ERROR_TYPE, METRIC_APP_ERRORS } from '../semconv.ts';

/** The instrument name of the error counter (`app_errors_total` in Prometheus). */
export const ERROR_COUNTER_NAME = METRIC_APP_ERRORS;

/** The only attributes `app.errors` carries: all three are bounded. */
export const ERROR_COUNTER_ATTRIBUTES = [ATTR_ERROR_TYPE, ATTR_ERROR_CATEGORY, ATTR_ERROR_HANDLED] as const;

/** Creates `app.errors`. The SDK setup stores it in `getRuntime().errorCounter`; recordError adds to it. */
export function createErrorCounter(meter: Meter): Counter {
  return meter.createCounter(ERROR_COUNTER_NAME, {
    unit: '{error}',
    description: 'Errors recorded by faultline, by error.type, error.category and error.handled (false for uncaught errors).',
  });
}

/**
 * The series `app.errors` can have: every distinct `error.type` up to `maxErrorTypes`, plus
 * `_OTHER`, times each category, times handled true/false; plus one, because the SDK keeps one
 * slot of its limit for the overflow series (it folds new series into overflow once limit - 1
 * series exist).
 */
export function errorCounterCardinalityLimit(maxErrorTypes: number = getRuntime().config.maxErrorTypes): number {
  return (maxErrorTypes + 1) * ERROR_CATEGORIES.length * 2 + 1;
}

/**
 * The View for `MeterProvider({ views: [...] })`: a cardinality limit that fits the type cap, so
 * the SDK never folds real series into its overflow series. The attribute allow-list is enforced
 * where the counter is written (recordError only ever passes the three attributes).
 */
export function errorCounterView(maxErrorTypes?: number): ViewOptions {
  return {
    instrumentName: ERROR_COUNTER_NAME,
    aggregationCardinalityLimit: errorCounterCardinalityLimit(maxErrorTypes),
  };
}
