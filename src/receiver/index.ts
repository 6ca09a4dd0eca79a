// The `faultline/receiver` entry: a local OTLP/HTTP receiver for tests, demos and local debugging.
export { startReceiver } from './receiver.ts';
export type { OtlpReceiver, ReceiverOptions, WaitForOptions } from './receiver.ts';
export { formatLogLine, formatMetricBatchLine, formatSpanLine } from './format.ts';
export { receivedMillis, receivedScalarText, receivedStrings, receivedText } from './received-values.ts';
export { CaptureFileError, CaptureFormatError, decodeCaptureEntry, parseCaptureLine, readCapture } from './capture.ts';
export type { CaptureContents, CaptureEntry } from './capture.ts';
export type { ViewerOptions, ViewerStats } from './viewer/viewer.ts';
export type { Signal } from '../config.ts';
export type {
  MetricType,
  ReceivedAttributes,
  ReceivedLogRecord,
  ReceivedMetricPoint,
  ReceivedRequest,
  ReceivedScope,
  ReceivedSpan,
  ReceivedSpanEvent,
  ReceivedSpanLink,
  ReceivedValue,
  ReceiverMode,
  Temporality,
} from './types.ts';
