// Small canvas charts for the demo pages: line charts (loss and accuracy curves), a scatter plot with
// fitted lines, and a heat map with a path drawn over it. Hand-written rather than a charting
// library: the pages need three plain plots that redraw many times a second, which is a few hundred
// lines of canvas code, and no dependency has to be bundled or kept up to date.

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** Draw points only (scatter) instead of a line. */
  dots?: boolean;
  dashed?: boolean;
}

interface Range {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

const MARGIN = { left: 52, right: 12, top: 24, bottom: 34 };

/** Pixel-sharp canvas of its CSS size (device pixel ratio aware). */
function context(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, width, height };
}

/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

const label = (v: number): string => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : String(+v.toPrecision(3)));

/** One series as a line, or as dots of radius `r`, through the data-to-pixel maps px and py. */
function drawSeries(ctx: CanvasRenderingContext2D, s: Series, px: (x: number) => number, py: (y: number) => number, r = 2.5): void {
  ctx.strokeStyle = s.color;
  ctx.fillStyle = s.color;
  ctx.lineWidth = 2;
  ctx.setLineDash(s.dashed ? [5, 4] : []);
  if (s.dots) {
    for (const [x, y] of s.points) {
      ctx.beginPath();
      ctx.arc(px(x), py(y), r, 0, 2 * Math.PI);
      ctx.fill();
    }
    return;
  }
  ctx.beginPath();
  s.points.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
  ctx.stroke();
}

/** Colour keys and names along the top, right-aligned at `right`. */
function drawLegend(ctx: CanvasRenderingContext2D, series: readonly Series[], right: number): void {
  ctx.textAlign = 'left';
  let x = right;
  for (const s of [...series].reverse()) {
    x -= ctx.measureText(s.name).width + 22;
    ctx.fillStyle = s.color;
    ctx.fillRect(x, 7, 12, 4);
    ctx.fillStyle = '#222';
    ctx.fillText(s.name, x + 16, 13);
  }
}

/** The axis title along the left edge, rotated. */
function drawYLabel(ctx: CanvasRenderingContext2D, text: string, middle: number): void {
  ctx.save();
  ctx.translate(11, middle);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(text, 0, 0);
  ctx.restore();
}

/** A 2-D plot: axes with ticks, a legend, and any number of line or dot series. */
export class Plot {
  series: Series[] = [];
  /** Fixed axis ranges; otherwise fitted to the data. */
  range: Partial<Range> = {};
  logY = false;

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly title: string,
    readonly xLabel = '',
    readonly yLabel = '',
  ) {}

  add(series: Series): Series {
    this.series.push(series);
    return series;
  }

  private fitted(): Range {
    const pts = this.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!this.logY || y > 0));
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => (this.logY ? Math.log10(p[1]) : p[1]));
    const r: Range = {
      x0: this.range.x0 ?? (xs.length ? Math.min(...xs) : 0),
      x1: this.range.x1 ?? (xs.length ? Math.max(...xs) : 1),
      y0: this.range.y0 ?? (ys.length ? Math.min(...ys) : 0),
      y1: this.range.y1 ?? (ys.length ? Math.max(...ys) : 1),
    };
    if (r.x1 <= r.x0) r.x1 = r.x0 + 1;
    if (r.y1 <= r.y0) r.y1 = r.y0 + (Math.abs(r.y0) || 1) * 0.1;
    return r;
  }

  draw(): void {
    const { ctx, width, height } = context(this.canvas);
    const r = this.fitted();
    const w = width - MARGIN.left - MARGIN.right;
    const h = height - MARGIN.top - MARGIN.bottom;
    const px = (x: number) => MARGIN.left + ((x - r.x0) / (r.x1 - r.x0)) * w;
    const py = (y: number) => MARGIN.top + (1 - ((this.logY ? Math.log10(y) : y) - r.y0) / (r.y1 - r.y0)) * h;
    ctx.clearRect(0, 0, width, height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#222';
    ctx.fillText(this.title, MARGIN.left, 14);
    // Grid and ticks.
    ctx.strokeStyle = '#e4e4e4';
    ctx.lineWidth = 1;
    ctx.textAlign = 'center';
    for (const t of ticks(r.x0, r.x1)) {
      ctx.beginPath();
      ctx.moveTo(px(t), MARGIN.top);
      ctx.lineTo(px(t), MARGIN.top + h);
      ctx.stroke();
      ctx.fillText(label(t), px(t), MARGIN.top + h + 13);
    }
    ctx.textAlign = 'right';
    for (const t of ticks(r.y0, r.y1)) {
      const y = MARGIN.top + (1 - (t - r.y0) / (r.y1 - r.y0)) * h;
      ctx.beginPath();
      ctx.moveTo(MARGIN.left, y);
      ctx.lineTo(MARGIN.left + w, y);
      ctx.stroke();
      ctx.fillText(this.logY ? label(10 ** t) : label(t), MARGIN.left - 4, y + 4);
    }
    ctx.textAlign = 'center';
    ctx.fillText(this.xLabel, MARGIN.left + w / 2, height - 4);
    drawYLabel(ctx, this.yLabel, MARGIN.top + h / 2);
    // Data, clipped to the plot area.
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top, w, h);
    ctx.clip();
    for (const s of this.series) drawSeries(ctx, s, px, py);
    ctx.restore();
    drawLegend(ctx, this.series, MARGIN.left + w);
  }
}

/** Viridis-like colour for t in [0, 1]. */
export function colormap(t: number): [number, number, number] {
  const stops: [number, number, number][] = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const u = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(u), stops.length - 2);
  const f = u - i;
  return [0, 1, 2].map((c) => Math.round(stops[i]![c]! * (1 - f) + stops[i + 1]![c]! * f)) as [number, number, number];
}

/** A heat map of grid values (row-major, rows = y from y0 at the bottom) with paths drawn over it. */
export class HeatMap {
  paths: Series[] = [];

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly title: string,
    readonly xLabel: string,
    readonly yLabel: string,
    public grid: { values: Float32Array; cols: number; rows: number; x0: number; x1: number; y0: number; y1: number; log?: boolean },
  ) {}

  draw(): void {
    const { ctx, width, height } = context(this.canvas);
    const g = this.grid;
    const w = width - MARGIN.left - MARGIN.right;
    const h = height - MARGIN.top - MARGIN.bottom;
    const values = Array.from(g.values, (v) => (g.log ? Math.log10(Math.max(v, 1e-12)) : v));
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const image = ctx.createImageData(g.cols, g.rows);
    for (let r = 0; r < g.rows; r++) {
      for (let c = 0; c < g.cols; c++) {
        const [red, green, blue] = colormap((values[r * g.cols + c]! - lo) / (hi - lo || 1));
        const o = ((g.rows - 1 - r) * g.cols + c) * 4;
        image.data.set([red, green, blue, 255], o);
      }
    }
    const offscreen = document.createElement('canvas');
    offscreen.width = g.cols;
    offscreen.height = g.rows;
    offscreen.getContext('2d')!.putImageData(image, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(offscreen, MARGIN.left, MARGIN.top, w, h);
    const px = (x: number) => MARGIN.left + ((x - g.x0) / (g.x1 - g.x0)) * w;
    const py = (y: number) => MARGIN.top + (1 - (y - g.y0) / (g.y1 - g.y0)) * h;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#222';
    ctx.textAlign = 'left';
    ctx.fillText(this.title, MARGIN.left, 14);
    ctx.textAlign = 'center';
    for (const t of ticks(g.x0, g.x1)) ctx.fillText(label(t), px(t), MARGIN.top + h + 13);
    ctx.fillText(this.xLabel, MARGIN.left + w / 2, height - 4);
    ctx.textAlign = 'right';
    for (const t of ticks(g.y0, g.y1)) ctx.fillText(label(t), MARGIN.left - 4, py(t) + 4);
    drawYLabel(ctx, this.yLabel, MARGIN.top + h / 2);
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top, w, h);
    ctx.clip();
    for (const s of this.paths) {
      drawSeries(ctx, { ...s, dots: false }, px, py);
      drawSeries(ctx, { ...s, dots: true }, px, py, 2);
    }
    ctx.restore();
    drawLegend(ctx, this.paths, MARGIN.left + w);
  }
}
