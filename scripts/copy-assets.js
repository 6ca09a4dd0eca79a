// tsc copies no non-TypeScript files; the OTLP receiver needs its .proto definitions beside the built code.
import { cpSync, existsSync } from 'node:fs';

const assets = [['src/receiver/proto', 'dist/receiver/proto']];
for (const [from, to] of assets) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
