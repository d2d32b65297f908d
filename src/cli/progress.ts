// A one-line progress bar like the PyTorch examples' (tqdm-style) output. On a terminal it redraws in
// place; in a log (CI) it prints a line at most every few seconds and at the end.
import type { Progress } from '../train/trainer';

export class ProgressBar {
  private lastPrint = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly unit = 'examples',
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = stream.isTTY === true;
  }

  update = (p: Progress): void => {
    const epochDone = p.seen >= p.total;
    // With many short epochs (linear regression: 1000), keep about ten of their lines.
    const keepLine = epochDone && (p.epoch === p.epochs || p.epoch % Math.max(1, Math.ceil(p.epochs / 10)) === 0);
    const now = performance.now();
    if (!this.tty && !keepLine && now - this.lastPrint < 5000) return;
    this.lastPrint = now;
    const width = 30;
    const filled = Math.round((p.seen / p.total) * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const line = `${this.label} epoch ${p.epoch}/${p.epochs} [${bar}] ${String(p.seen).padStart(String(p.total).length)}/${p.total} loss ${p.loss.toFixed(4)} ${formatRate(p.examplesPerSecond)} ${this.unit}/s`;
    if (this.tty) this.stream.write(`\r${line}\x1b[K${keepLine ? '\n' : ''}`);
    else this.stream.write(`${line}\n`);
  };
}

function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}
