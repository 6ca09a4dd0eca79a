import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataPointType, type Histogram, type DataPoint } from '@opentelemetry/sdk-metrics';
import { DURATION_BUCKETS, HttpDurationHistogram } from '../../src/http-spans/http-duration-histogram.ts';

async function points(histogram: HttpDurationHistogram): Promise<DataPoint<Histogram>[]> {
  const { resourceMetrics, errors } = await histogram.collect();
  assert.deepEqual(errors, []);
  const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  if (metrics.length === 0) return [];
  assert.equal(metrics.length, 1);
  const metric = metrics[0]!;
  assert.equal(metric.dataPointType, DataPointType.HISTOGRAM);
  return metric.dataPoints as DataPoint<Histogram>[];
}

describe('HttpDurationHistogram', () => {
  it('puts a value equal to a boundary in that boundary bucket, as the SDK does', async () => {
    const histogram = new HttpDurationHistogram({ name: 'test' });
    for (const [index, boundary] of DURATION_BUCKETS.entries()) {
      histogram.record(boundary, 'GET', 'http', 200, `/b${index}`, undefined);
    }
    histogram.record(11, 'GET', 'http', 200, '/beyond', undefined);
    for (const point of await points(histogram)) {
      const route = String(point.attributes['http.route']);
      const expected = route === '/beyond' ? DURATION_BUCKETS.length : Number(route.slice(2));
      assert.equal(point.value.buckets.counts.indexOf(1), expected, route);
    }
  });

  it('keeps one cumulative series per attribute set and ignores values that are not durations', async () => {
    const histogram = new HttpDurationHistogram({ name: 'test' });
    histogram.record(0.002, 'GET', 'http', 200, '/orders/:id', undefined);
    histogram.record(0.3, 'GET', 'http', 200, '/orders/:id', undefined);
    histogram.record(Number.NaN, 'GET', 'http', 200, '/orders/:id', undefined);
    histogram.record(-1, 'GET', 'http', 200, '/orders/:id', undefined);
    histogram.record(0.01, 'POST', 'https', 503, undefined, '503');
    const first = await points(histogram);
    assert.equal(first.length, 2);
    const get = first.find((point) => point.attributes['http.request.method'] === 'GET')!;
    assert.deepEqual(get.attributes, { 'http.request.method': 'GET', 'url.scheme': 'http', 'http.response.status_code': 200, 'http.route': '/orders/:id' });
    assert.equal(get.value.count, 2);
    assert.equal(get.value.min, 0.002);
    assert.equal(get.value.max, 0.3);
    assert.ok(Math.abs((get.value.sum ?? 0) - 0.302) < 1e-12);
    const post = first.find((point) => point.attributes['http.request.method'] === 'POST')!;
    assert.deepEqual(post.attributes, { 'http.request.method': 'POST', 'url.scheme': 'https', 'http.response.status_code': 503, 'error.type': '503' });

    histogram.record(0.004, 'GET', 'http', 200, '/orders/:id', undefined);
    const second = await points(histogram);
    const again = second.find((point) => point.attributes['http.request.method'] === 'GET')!;
    assert.equal(again.value.count, 3, 'cumulative: a collection does not reset');
    assert.deepEqual(again.startTime, get.startTime);
    assert.deepEqual(get.value.buckets.counts.reduce((a, b) => a + b, 0), 2, 'an earlier collection is a snapshot');
  });

  it('sends series beyond the cap to one overflow series instead of growing without bound', async () => {
    const histogram = new HttpDurationHistogram({ name: 'test' });
    for (let i = 0; i < 2500; i += 1) histogram.record(0.001, 'GET', 'http', 200, `/route/${i}`, undefined);
    const all = await points(histogram);
    assert.equal(all.length, 2001);
    const overflow = all.find((point) => point.attributes['otel.metric.overflow'] === true);
    assert.equal(overflow?.value.count, 500);
    assert.equal(all.reduce((total, point) => total + point.value.count, 0), 2500, 'no request is lost');
  });

  it('reports nothing before the first request', async () => {
    assert.deepEqual(await points(new HttpDurationHistogram({ name: 'test' })), []);
  });
});
