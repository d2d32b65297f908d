// Bundles Kiln with esbuild and emits its type declarations. WGSL files are imported as text, so the
// same bundle works in Node and in the browser. The package's entries are dist/node.js (Dawn),
// dist/browser.js (navigator.gpu) and dist/cli.js (the kiln command); dist/types/ holds the .d.ts
// files of src/, emitted by tsc (scripts/declarations.mjs). `--tests` also bundles every
// test/**/*.test.ts into build/test/ for mocha and examples/*.ts into build/examples/; `--demos` builds the demo pages into dist/demos/
// (static files: HTML, CSS and one bundle per page).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { emitDeclarations } from './declarations.mjs';

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: 'linked',
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
};
// Node bundles keep their npm dependencies external and get a require() shim for CommonJS ones.
const node = {
  ...common,
  platform: 'node',
  packages: 'external',
  banner: { js: "import { createRequire as __kilnRequire } from 'node:module'; const require = __kilnRequire(import.meta.url);" },
};

function filesUnder(dir, suffix) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, suffix));
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out;
}

const jobs = [
  build({
    ...node,
    entryPoints: { node: 'src/node.ts', cli: 'src/cli/main.ts', bench: 'bench/main.ts', 'gpu-check': 'bench/gpu-check.ts', 'demo-server': 'demos/server.ts' },
    outdir: 'dist',
  }),
  build({ ...common, platform: 'browser', entryPoints: { browser: 'src/browser.ts' }, outdir: 'dist' }),
  emitDeclarations('dist/types'),
];
if (process.argv.includes('--tests')) {
  jobs.push(build({ ...node, entryPoints: filesUnder('test', '.test.ts'), outdir: 'build/test', outbase: 'test' }));
  // The examples import the package by its name, which resolves to dist/node.js (self-reference).
  jobs.push(build({ ...node, entryPoints: filesUnder('examples', '.ts'), outdir: 'build/examples', outbase: 'examples' }));
}
if (process.argv.includes('--demos') || process.argv.includes('--tests')) {
  // Each page's script bundles the browser entry of src/ with it: nothing Node-only can get in.
  jobs.push(build({ ...common, platform: 'browser', entryPoints: filesUnder('demos/pages', '.ts'), outdir: 'dist/demos', outbase: 'demos/pages' }));
  mkdirSync('dist/demos', { recursive: true });
  for (const name of readdirSync('demos')) {
    if (name.endsWith('.html') || name.endsWith('.css')) copyFileSync(join('demos', name), join('dist/demos', name));
  }
}
await Promise.all(jobs);
