import { context, propagation, type Span, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions';
import { redactText } from '../errors/redact.ts';
import { subscribeChannels } from './channel-subscriptions.ts';
import { markSpanFailed } from './span-failure.ts';

/**
 * Client spans for `fetch` (Node's bundled undici) and the `undici` package, from the
 * `undici:request:*` diagnostics channels both publish. No patching, so it costs nothing when idle.
 */

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path?: string;
  addHeader?: (name: string, value: string) => unknown;
}

const spans = new WeakMap<object, Span>();

function startSpan(tracer: Tracer, request: UndiciRequest): void {
  const active = context.active();
  if (isTracingSuppressed(active)) return;
  const method = (request.method ?? 'GET').toUpperCase();
  const origin = new URL(String(request.origin ?? 'http://localhost'));
  const port = origin.port === '' ? (origin.protocol === 'https:' ? 443 : 80) : Number(origin.port);
  const span = tracer.startSpan(
    method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_SERVER_ADDRESS]: origin.hostname,
        [ATTR_SERVER_PORT]: port,
        [ATTR_URL_FULL]: redactText(`${origin.origin}${request.path ?? ''}`),
      },
    },
    active,
  );
  spans.set(request, span);
  if (typeof request.addHeader === 'function') {
    propagation.inject(trace.setSpan(active, span), request, {
      set: (carrier: UndiciRequest, key: string, value: string) => {
        carrier.addHeader?.(key, value);
      },
    });
  }
}

export interface FetchSpans {
  disable(): void;
}

export function enableFetchSpans(tracer: Tracer): FetchSpans {
  type Message = { request: UndiciRequest; response?: { statusCode?: number }; error?: unknown };
  const unsubscribe = subscribeChannels({
    'undici:request:create': ({ request }: Message) => {
      startSpan(tracer, request);
    },
    'undici:request:headers': ({ request, response }: Message) => {
      const span = spans.get(request);
      const status = response?.statusCode;
      if (span === undefined || status === undefined) return;
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 400) markSpanFailed(span, String(status), undefined);
    },
    'undici:request:trailers': ({ request }: Message) => {
      spans.get(request)?.end();
      spans.delete(request);
    },
    'undici:request:error': ({ request, error }: Message) => {
      const span = spans.get(request);
      if (span === undefined) return;
      markSpanFailed(span, undefined, undefined, error);
      span.end();
      spans.delete(request);
    },
  });
  return { disable: unsubscribe };
}
