// `npm run demo`, or `node examples/checkout/demo.js [--duration <s>] [--otlp <url>] [--framework fastify]`.
// The demo's code is in demo/ (TypeScript, run directly by Node); `--help` lists the options.
import process from 'node:process';
import { main } from './demo/main.ts';

process.exit(await main(process.argv.slice(2)));
