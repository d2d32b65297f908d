// The package as a stranger meets it: `npm pack`, then `npm install` of the tarball into a new project
// in a temporary folder, offline (the tarball, plus links to the dependencies this checkout already
// installed), then a TypeScript file that imports from the package name is type-checked under
// `nodenext` and `bundler`, run in Node, and bundled by esbuild for Chromium, where it must give the
// same line as in Node.
import { expect } from 'chai';
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { browserAvailable, CHROMIUM, CHROMIUM_ARGS } from './helpers/browser';

const ROOT = resolve('.');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'consumer');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string> };

interface PackedFile {
  path: string;
  size: number;
}
interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}

interface LineFit {
  w: number;
  b: number;
  loss: number;
}

/** The runtime dependency closure of the package, read from this checkout's node_modules. */
function dependencyClosure(names: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  const queue = [...names];
  while (queue.length) {
    const name = queue.pop()!;
    if (found.has(name)) continue;
    const dir = join(ROOT, 'node_modules', name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    found.set(name, dir);
    queue.push(...Object.keys(pkg.dependencies ?? {}));
  }
  return found;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function lastJsonLine<T>(out: string): T {
  const line = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as T;
}

describe('the packed package, installed into a new project', function () {
  this.timeout(600_000);
  let dir = '';
  let project = '';
  let packed: PackResult;
  let inNode: LineFit;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-package-'));
    // `npm test` has just built dist/; --ignore-scripts keeps pack from building it again.
    packed = (
      JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as PackResult[]
    )[0]!;
    project = join(dir, 'project');
    cpSync(FIXTURE, project, { recursive: true });
    const links = Object.fromEntries([...dependencyClosure(Object.keys(manifest.dependencies))].map(([name, path]) => [name, `file:${path}`]));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'kiln-consumer', private: true, type: 'module', dependencies: links }, null, 2));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, packed.filename)], project);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships what a user needs and nothing of tests, bench or CI', () => {
    const paths = packed.files.map((f) => f.path);
    const installed = execFileSync('du', ['-sb', join(project, 'node_modules', manifest.name)], { encoding: 'utf8' }).split('\t')[0];
    console.log(
      `      ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files; installed ${installed} bytes`,
    );
    for (const needed of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/kiln.js',
      'dist/node.js',
      'dist/browser.js',
      'dist/cli.js',
      'dist/types/node.d.ts',
      'dist/types/browser.d.ts',
      'data/mnist/t10k-images-idx3-ubyte.gz',
    ]) {
      expect(paths, needed).to.include(needed);
    }
    const unwanted = paths.filter(
      (p) => /^(test|bench|src|demos|scripts|\.ci|build)\//.test(p) || p.endsWith('.map') || p === 'dist/bench.js' || p.startsWith('dist/demos'),
    );
    expect(unwanted).to.deep.equal([]);
  });

  it('type-checks a strict TypeScript file importing the package name, under nodenext and bundler', () => {
    run(process.execPath, [TSC, '-p', 'tsconfig.bundler.json'], project);
    run(process.execPath, [TSC, '-p', 'tsconfig.nodenext.json'], project); // also emits out/linreg.js
    expect(existsSync(join(project, 'out', 'linreg.js'))).to.equal(true);
  });

  it('runs in Node: linear regression (a) from the package name', () => {
    const out = run(process.execPath, ['out/linreg.js'], project, { ...process.env, KILN_ADAPTER: 'swiftshader' });
    inNode = lastJsonLine<LineFit>(out);
    console.log(`      Node: w = ${inNode.w.toFixed(4)}, b = ${inNode.b.toFixed(4)}`);
    expect(Math.abs(inNode.w - 2)).to.be.below(0.05);
    expect(Math.abs(inNode.b - 3)).to.be.below(0.1);
  });

  it('require() works too, and only the public entry is importable', () => {
    writeFileSync(join(project, 'require-check.cjs'), "const kiln = require('kiln-webgpu'); console.log(typeof kiln.openDevice, typeof kiln.nn.linear);\n");
    expect(run(process.execPath, ['require-check.cjs'], project).trim()).to.equal('function function');
    const deep = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('kiln-webgpu/dist/node.js')"], { cwd: project, encoding: 'utf8' });
    expect(deep.status).to.not.equal(0);
    expect(deep.stderr).to.match(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  it('the kiln command comes with it', () => {
    expect(run(join(project, 'node_modules', '.bin', 'kiln'), ['--version'], project).trim()).to.equal(manifest.version);
  });

  it('bundles for the browser with esbuild (no Node module inside) and gives the same line in Chromium', async function () {
    const result = await build({
      absWorkingDir: project,
      entryPoints: ['linreg.ts'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(project, 'web', 'linreg.js'),
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.includes('node_modules/webgpu') || p.startsWith('node:'))).to.deep.equal([]);
    expect(inputs.some((p) => p.endsWith(`${manifest.name}/dist/browser.js`))).to.equal(true);
    const bundle = readFileSync(join(project, 'web', 'linreg.js'), 'utf8');
    expect(bundle).to.not.match(/from\s*["']node:|require\(["']|from\s*["']webgpu["']/);
    if (!browserAvailable()) this.skip();
    writeFileSync(join(project, 'web', 'index.html'), '<!doctype html><title>kiln-webgpu</title><script type="module" src="linreg.js"></script>\n');
    const server = await serve(join(project, 'web'));
    const profile = mkdtempSync(join(tmpdir(), 'kiln-chromium-package-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
      const handle = await page.waitForFunction(() => (globalThis as { linregResult?: unknown }).linregResult ?? null, null, {
        timeout: 300_000,
        polling: 250,
      });
      const inBrowser = (await handle.jsonValue()) as LineFit;
      console.log(`      Chromium: w = ${inBrowser.w.toFixed(4)}, b = ${inBrowser.b.toFixed(4)}`);
      expect(errors).to.deep.equal([]);
      expect(Math.abs(inBrowser.w - inNode.w)).to.be.below(1e-4);
      expect(Math.abs(inBrowser.b - inNode.b)).to.be.below(1e-4);
    } finally {
      await context.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

/** A static server for one folder on 127.0.0.1 (WebGPU needs a secure context: localhost is one). */
function serve(root: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '') || 'index.html';
    const file = join(root, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}
