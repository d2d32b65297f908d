// lr_schedule: writes a schedule's learning rate for the current iteration into element 0 of an
// optimizer's hyperparameters, on the GPU, before the step's updates read it: a schedule costs no
// upload and no recompilation, and many steps still go in one submit. A scalar effect, merged with
// the step's counters into one dispatch.
import snippet from '../../shaders/lr_schedule.wgsl';
import { ShapeError } from '../graph/shape';
import type { Tensor } from '../graph/tensor';
import { NO_VALUE } from './effect';
import { defineOp } from './op';
import { f32Literal, i32Literal, lowerScalarEffect } from './scalar-effects';

/** A learning-rate schedule, as nanoGPT's train.py and torch.optim.lr_scheduler describe them. */
export interface LrSchedule {
  /** 'cosine' (to minLr at decaySteps), 'step' (times gamma every `every` iterations) or 'constant' (after warmup). */
  kind: 'cosine' | 'step' | 'constant';
  /** Peak learning rate. */
  lr: number;
  /** Linear warmup iterations (0: none). */
  warmup?: number;
  /** cosine: the floor and the iteration where it is reached. */
  minLr?: number;
  decaySteps?: number;
  /** step: the factor and its period. */
  gamma?: number;
  every?: number;
}

const KINDS = { constant: 0, cosine: 1, step: 2 } as const;

/** The schedule's learning rate at iteration t, in float64: the reference of the kernel and what the CLI prints. */
export function learningRateAt(s: LrSchedule, t: number): number {
  const warmup = s.warmup ?? 0;
  if (t < warmup) return (s.lr * (t + 1)) / (warmup + 1);
  if (s.kind === 'cosine') {
    const [minLr, decay] = [s.minLr ?? 0, s.decaySteps ?? warmup];
    if (t > decay) return minLr;
    const ratio = (t - warmup) / Math.max(decay - warmup, 1);
    return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (s.lr - minLr);
  }
  if (s.kind === 'step') return s.lr * (s.gamma ?? 0.1) ** Math.floor(t / (s.every ?? 1));
  return s.lr;
}

export function checkSchedule(s: LrSchedule): void {
  if (!(s.kind in KINDS)) throw new RangeError(`lr schedule: kind must be cosine, step or constant, got '${String(s.kind)}'`);
  const nonNegative = (what: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new RangeError(`lr schedule: ${what} must be a non-negative number, got ${v}`);
  };
  if (!(s.lr > 0)) throw new RangeError(`lr schedule: lr must be positive, got ${s.lr}`);
  nonNegative('warmup', s.warmup);
  nonNegative('minLr', s.minLr);
  nonNegative('decaySteps', s.decaySteps);
  if (s.kind === 'step' && !((s.every ?? 1) >= 1)) throw new RangeError(`lr schedule: every must be at least 1, got ${s.every}`);
}

export const lrScheduleOp = defineOp<LrSchedule>({
  name: 'lr_schedule',
  effect: true,
  infer([hyper, iteration]) {
    if (hyper!.dtype !== 'f32' || hyper!.shape.length !== 1) throw new ShapeError('lr_schedule: the hyperparameters must be an f32 vector');
    if (iteration!.dtype !== 'i32' || iteration!.shape.length !== 1 || iteration!.shape[0] !== 1)
      throw new ShapeError('lr_schedule: the iteration must be i32 [1]');
    return NO_VALUE;
  },
  lower: lowerScalarEffect,
  scalarEffect: {
    snippet,
    statement: (s, [hyper, iteration]) =>
      `${hyper}[0] = lr_schedule(f32(${iteration}[0]), ${i32Literal(KINDS[s.kind])}, ${[s.lr, s.minLr ?? 0, s.warmup ?? 0, s.decaySteps ?? s.warmup ?? 0, s.gamma ?? 0.1, s.every ?? 1].map(f32Literal).join(', ')});`,
  },
  cpu([hyper, iteration], s) {
    const data = Float64Array.from(hyper!.data);
    data[0] = learningRateAt(s, iteration!.data[0]!);
    return { shape: hyper!.shape, dtype: 'f32', data };
  },
});

/** hyper[0] = the schedule's rate at `iteration`, in place. */
export function lrSchedule(hyper: Tensor, iteration: Tensor, schedule: LrSchedule): Tensor {
  checkSchedule(schedule);
  return hyper.graph.apply(lrScheduleOp, [hyper, iteration], schedule);
}
