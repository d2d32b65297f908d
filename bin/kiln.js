#!/usr/bin/env node
// The `kiln` command: runs the bundled CLI (dist/cli.js) in a child process whose stderr passes
// through a filter. Dawn's native code prints a few known, harmless warnings straight to file
// descriptor 2 when an adapter is probed (llvmpipe's "maxDynamic... artificially reduced", the C++
// source path of a failed Vulkan probe), which no JavaScript can intercept in-process. Set
// KILN_DEBUG to see them (the CLI then runs in this process, unfiltered).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

// Lines Dawn prints that say nothing a Kiln user can act on, and the lines of context that follow
// such a warning (" - While initializing adapter ...", "    at InitializeImpl (/path/...cpp:257)").
const HARMLESS = [/^Warning: maxDynamic\w+ artificially reduced from \d+ to \d+/, /^Warning: Vulkan \S+ required\.$/];
const CONTEXT = /^( - While |\s+at \S+ \(.*\)$|$)/;

const filter = {
  pending: '',
  hiding: false,
  push(text) {
    this.pending += text;
    let newline;
    while ((newline = this.pending.indexOf('\n')) >= 0) {
      this.line(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
    }
    // A partial line (a progress bar redrawn with \r) passes at once unless it may start a warning.
    if (this.pending !== '' && !'Warning: '.startsWith(this.pending.slice(0, 9)) && !this.pending.startsWith('Warning: ')) {
      this.hiding = false;
      process.stderr.write(this.pending);
      this.pending = '';
    }
  },
  line(line) {
    if (HARMLESS.some((pattern) => pattern.test(line))) {
      this.hiding = true;
      return;
    }
    if (this.hiding && CONTEXT.test(line)) return;
    this.hiding = false;
    process.stderr.write(`${line}\n`);
  },
  flush() {
    if (this.pending !== '') process.stderr.write(this.pending);
    this.pending = '';
  },
};

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('kiln: dist/cli.js is missing; run `npm run build` first');
  process.exit(1);
}
if (process.env.KILN_DEBUG) {
  await import(cli);
} else {
  const env = { ...process.env };
  // The progress bar redraws in place on a terminal: tell the child how wide ours is.
  if (process.stderr.isTTY) env.KILN_TTY_COLUMNS = String(process.stderr.columns || 80);
  const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'pipe', 'ipc'], env });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => filter.push(text));
  child.stderr.on('end', () => filter.flush());
  // Ctrl-C reaches the child through the process group; a signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    filter.flush();
    process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  });
}
