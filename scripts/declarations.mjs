// Emits the .d.ts files of src/ with tsc (tsconfig.types.json), then gives every relative module
// specifier in them its file extension. The sources use extensionless imports (esbuild resolves
// them), but a package of ES modules is type-checked by its users under `moduleResolution: nodenext`
// too, where `./device/node` does not resolve and `./device/node.js` does.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function declarationFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? declarationFiles(path) : name.endsWith('.d.ts') ? [path] : [];
  });
}

/** './x' becomes './x.js' where x.d.ts exists, './x/index.js' where x/index.d.ts does. */
function withExtension(file, specifier) {
  if (!specifier.startsWith('.') || /\.(js|mjs|cjs|json)$/.test(specifier)) return specifier;
  const target = resolve(dirname(file), specifier);
  if (existsSync(`${target}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(target, 'index.d.ts'))) return `${specifier}/index.js`;
  throw new Error(`${file}: cannot resolve '${specifier}' among the emitted declarations`);
}

// `from '...'`, `import '...'`, `import('...')` and `declare module '...'` (graph-ops augments Graph).
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*|\bdeclare module\s*)(['"])([^'"]+)\2/g;

export async function emitDeclarations(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.types.json', '--outDir', outDir]).catch((error) => {
    throw new Error(`tsc could not emit the declarations:\n${error.stdout || error.message}`);
  });
  for (const file of declarationFiles(outDir)) {
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(SPECIFIER, (_, lead, quote, specifier) => `${lead}${quote}${withExtension(file, specifier)}${quote}`);
    if (fixed !== text) writeFileSync(file, fixed);
  }
}
