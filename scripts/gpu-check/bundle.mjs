// Bundles the GPU check's two programs for the packed folder: dist/gpu-check.js and dist/cli.js with
// every npm dependency inside (TensorFlow.js included) except `webgpu`, whose native dawn.node the
// folder carries beside them. Usage: node scripts/gpu-check/bundle.mjs OUT_DIR
import { build } from 'esbuild';

const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/gpu-check/bundle.mjs OUT_DIR');
  process.exit(2);
}
await build({
  entryPoints: { 'gpu-check': 'bench/gpu-check.ts', cli: 'src/cli/main.ts' },
  outdir: `${out}/dist`,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'node',
  loader: { '.wgsl': 'text' },
  external: ['webgpu'],
  logLevel: 'warning',
  banner: { js: "import { createRequire as __kilnRequire } from 'node:module'; const require = __kilnRequire(import.meta.url);" },
});
