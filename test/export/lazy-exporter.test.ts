import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { LazyExporter } from '../../src/export/lazy-exporter.ts';

// OTLP exporters are imported at their first export so that start-up does not wait for them; a
// failed import must still end in a counted, failed export, never in a lost callback.

function exportOnce(exporter: LazyExporter<string>, payload: string): Promise<ExportResult> {
  return new Promise((resolve) => {
    exporter.export(payload, resolve);
  });
}

describe('LazyExporter', () => {
  it('loads once, on the first export, and sends every payload through the loaded exporter', async () => {
    let loads = 0;
    const sent: string[] = [];
    const lazy = new LazyExporter<string>(() => {
      loads += 1;
      return Promise.resolve({
        export: (payload: string, done: (result: ExportResult) => void) => {
          sent.push(payload);
          done({ code: ExportResultCode.SUCCESS });
        },
        shutdown: () => Promise.resolve(),
      });
    });
    assert.equal(loads, 0);
    const results = await Promise.all([exportOnce(lazy, 'a'), exportOnce(lazy, 'b')]);
    assert.equal(await exportOnce(lazy, 'c').then((result) => result.code), ExportResultCode.SUCCESS);
    assert.equal(loads, 1);
    assert.deepEqual(sent, ['a', 'b', 'c']);
    assert.ok(results.every((result) => result.code === ExportResultCode.SUCCESS));
  });

  it('reports a failed export when the exporter cannot be loaded, and shuts down without loading', async () => {
    const failing = new LazyExporter<string>(() => Promise.reject(new Error('module not found')));
    const result = await exportOnce(failing, 'a');
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.match(String(result.error?.message), /module not found/);

    let loads = 0;
    const unused = new LazyExporter<string>(() => {
      loads += 1;
      return Promise.reject(new Error('never'));
    });
    await unused.shutdown();
    await unused.forceFlush();
    assert.equal(loads, 0);
  });
});

describe('LazyExporter once loaded', () => {
  it('hands each export over synchronously (the exit path cannot wait a tick) and passes flush and shutdown on', async () => {
    const calls: string[] = [];
    const lazy = new LazyExporter<string>(() =>
      Promise.resolve({
        export: (payload: string, done: (result: ExportResult) => void) => {
          calls.push(`export ${payload}`);
          done({ code: ExportResultCode.SUCCESS });
        },
        forceFlush: () => {
          calls.push('flush');
          return Promise.resolve();
        },
        shutdown: () => {
          calls.push('shutdown');
          return Promise.resolve();
        },
      }),
    );
    await exportOnce(lazy, 'a');
    lazy.export('b', () => undefined);
    assert.deepEqual(calls, ['export a', 'export b']);
    await lazy.forceFlush();
    await lazy.shutdown();
    assert.deepEqual(calls, ['export a', 'export b', 'flush', 'shutdown']);
  });

  it('accepts an exporter without forceFlush', async () => {
    const lazy = new LazyExporter<string>(() =>
      Promise.resolve({ export: (_payload: string, done: (result: ExportResult) => void) => done({ code: ExportResultCode.SUCCESS }), shutdown: () => Promise.resolve() }),
    );
    await exportOnce(lazy, 'a');
    await lazy.forceFlush();
  });
});
