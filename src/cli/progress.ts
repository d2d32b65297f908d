// A one-line progress bar like the PyTorch examples' (tqdm-style) output: images done, running loss,
// rate, elapsed time and the time left in the epoch. On a terminal it redraws in place and fits the
// terminal's width; in a log (CI) it prints a line at most every few seconds and at the end.
import type { Progress } from '../train/trainer';

/** The terminal's width when stderr is one (bin/kiln.js passes it on as KILN_TTY_COLUMNS), else null. */
export function terminalColumns(stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): number | null {
  if (stream.isTTY) return stream.columns || 80;
  const passed = Number(env['KILN_TTY_COLUMNS']);
  return Number.isInteger(passed) && passed > 0 ? passed : null;
}

export class ProgressBar {
  private lastPrint = 0;

  constructor(
    private readonly label: string,
    private readonly unit = 'examples',
    private readonly stream: NodeJS.WritableStream = process.stderr,
    private readonly columns: () => number | null = () => terminalColumns(),
  ) {}

  update = (p: Progress): void => {
    const now = performance.now();
    const epochDone = p.seen >= p.total;
    // With many short epochs (linear regression: 1000), keep about ten of their lines.
    const keepLine = epochDone && (p.epoch === p.epochs || p.epoch % Math.max(1, Math.ceil(p.epochs / 10)) === 0);
    const width = this.columns();
    if (width === null && !keepLine && now - this.lastPrint < 5000) return;
    this.lastPrint = now;
    // The rate is over the epoch so far, so it gives the epoch's elapsed time.
    const elapsed = p.examplesPerSecond > 0 ? p.seen / p.examplesPerSecond : 0;
    const line = progressLine(this.label, this.unit, p, elapsed, width);
    if (width !== null) this.stream.write(`\r${line}\x1b[K${keepLine ? '\n' : ''}`);
    else this.stream.write(`${line}\n`);
  };
}

/**
 * `train epoch 1/2 [#####.....] 12800/22699 loss 0.3120 250 images/s 0:51<0:39`: the bar shrinks
 * (down to nothing) so that the line fits `width` columns; the numbers always stay.
 */
export function progressLine(label: string, unit: string, p: Progress, elapsedSeconds: number, width: number | null): string {
  const left = p.seen > 0 && p.seen < p.total ? ((p.total - p.seen) * elapsedSeconds) / p.seen : 0;
  const time = p.seen >= p.total ? formatDuration(elapsedSeconds) : `${formatDuration(elapsedSeconds)}<${formatDuration(left)}`;
  const head = `${label} epoch ${p.epoch}/${p.epochs}`;
  const count = `${String(p.seen).padStart(String(p.total).length)}/${p.total} loss ${p.loss.toFixed(4)}`;
  const tail = `${count} ${formatRate(p.examplesPerSecond)} ${unit}/s ${time}`;
  const room = width === null ? 30 : Math.min(30, width - 1 - head.length - tail.length - 4);
  if (room >= 5) {
    const filled = Math.round((p.seen / p.total) * room);
    return `${head} [${'#'.repeat(filled)}${'.'.repeat(room - filled)}] ${tail}`;
  }
  // Too narrow for a bar: drop it, then the rate; the count, the loss and the times stay longest.
  const max = (width ?? Infinity) - 1;
  return [`${head} ${tail}`, `${head} ${count} ${time}`, `${count} ${time}`].find((line) => line.length <= max) ?? `${count} ${time}`.slice(0, max);
}

/** m:ss, or h:mm:ss from an hour up. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function formatRate(r: number): string {
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}
