// The receiver measured by suites/viewer.js, in a process of its own:
//   node --expose-gc lib/viewer-receiver.js off|ui|ui+save [capture file]
// Sends { type: 'ready', url } when listening; answers { type: 'memory' } (after two full
// collections) with its memory and the viewer's stats; exits on { type: 'stop' }.
import process from 'node:process';
import { startReceiver } from 'faultline/receiver';

const [mode = 'off', capture] = process.argv.slice(2);
const receiver = await startReceiver({
  // As the CLI: only the viewer keeps anything.
  maxItemsPerSignal: 0,
  ...(mode === 'off' ? {} : { ui: true }),
  ...(mode === 'ui+save' ? { save: capture } : {}),
});
process.send({ type: 'ready', url: receiver.url, pid: process.pid });
process.on('message', async (message) => {
  if (message.type === 'memory') {
    globalThis.gc();
    globalThis.gc();
    const memory = process.memoryUsage();
    process.send({ type: 'memory', rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external, arrayBuffers: memory.arrayBuffers, stats: receiver.viewerStats ?? null });
  } else if (message.type === 'stop') {
    await receiver.close();
    process.exit(0);
  }
});
