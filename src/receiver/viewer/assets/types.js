// The shapes the viewer's API answers (src/receiver/viewer/viewer.ts), for the page's type checks.

/**
 * @typedef {string | number | boolean | null | unknown[] | { [key: string]: unknown }} Value
 * @typedef {Record<string, Value>} Attributes
 *
 * @typedef {object} Stats
 * @property {number} startedAt
 * @property {{ maxTraces: number, maxSpans: number, maxSpansPerTrace: number, maxLogRecords: number, maxErrorGroups: number, maxOccurrencesPerGroup: number }} limits
 * @property {{ traces: number, spans: number, logRecords: number, errorGroups: number }} kept
 * @property {{ traces: number, spans: number, logRecords: number, errorGroups: number, errors: number }} letGo
 * @property {number} viewers
 *
 * @typedef {object} GroupSummary
 * @property {string} key
 * @property {boolean} fingerprinted
 * @property {string} type
 * @property {string | null} code
 * @property {string | null} category
 * @property {number} count
 * @property {number} firstSeen
 * @property {number} lastSeen
 * @property {string[]} services
 * @property {string} message
 * @property {string[]} notes
 * @property {number[]} sparkline
 *
 * @typedef {{ start: number | undefined, bucketMs: number, buckets: number }} SparklineScale
 *
 * @typedef {object} ErrorList
 * @property {GroupSummary[]} groups
 * @property {SparklineScale} sparkline
 * @property {{ services: string[], types: string[], categories: string[] }} facets
 * @property {Stats} stats
 *
 * @typedef {object} Occurrence
 * @property {string} traceId
 * @property {string} spanId
 * @property {string} service
 * @property {string} route
 * @property {number} time
 * @property {string} message
 * @property {boolean} traceKept
 *
 * @typedef {{ group: GroupSummary & { occurrences: Occurrence[] }, sparkline: SparklineScale, stats: Stats }} GroupDetail
 *
 * @typedef {object} SpanEvent
 * @property {string} name
 * @property {string} timeUnixNano
 * @property {Attributes} attributes
 *
 * @typedef {object} Span
 * @property {string} traceId
 * @property {string} spanId
 * @property {string} [parentSpanId]
 * @property {string} name
 * @property {number} kind
 * @property {string} startTimeUnixNano
 * @property {string} endTimeUnixNano
 * @property {Attributes} attributes
 * @property {SpanEvent[]} events
 * @property {{ code: number, message?: string }} status
 * @property {Attributes} resource
 * @property {{ name: string, version: string }} scope
 *
 * @typedef {object} LogRecord
 * @property {string} timeUnixNano
 * @property {string} observedTimeUnixNano
 * @property {number} severityNumber
 * @property {string} severityText
 * @property {Value} [body]
 * @property {Attributes} attributes
 * @property {string} [traceId]
 * @property {string} [spanId]
 * @property {Attributes} resource
 *
 * @typedef {{ traceId: string, spans: Span[], spansLetGo: number, logs: LogRecord[], stats: Stats }} TraceDetail
 *
 * @typedef {object} TraceSummary
 * @property {string} traceId
 * @property {string} name
 * @property {string} service
 * @property {string[]} services
 * @property {number} spanCount
 * @property {number | undefined} start
 * @property {number} durationMs
 * @property {number} errorSpans
 * @property {string[]} errorTypes
 *
 * @typedef {{ types: string[], times: number[], values: (number | null)[][], totals: Record<string, number>, seriesLetGo: number }} CounterSnapshot
 *
 * @typedef {object} ChangeNotice
 * @property {number} version
 * @property {string[] | null} traces
 * @property {boolean} errors
 * @property {boolean} counter
 * @property {boolean} logs
 * @property {Stats} stats
 *
 * @typedef {object} View
 * @property {(notice: ChangeNotice) => void} onChange
 * @property {() => void} unmount
 */

export {};
