#!/usr/bin/env node
// The `kiln` command: the bundled CLI from dist/ (npm run build makes it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('kiln: dist/cli.js is missing; run `npm run build` first');
  process.exit(1);
}
await import(cli);
