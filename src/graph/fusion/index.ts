// The fusion pass: canonicalising rules first (which free values for fusion), then fusing rules, each
// as one sweep over the schedule. The order of FUSING_RULES matters: epilogues claim a matmul or a
// conv before the elementwise-chain rule could start a chain from its consumer.
import type { Tensor } from '../tensor';
import { elementwiseChain } from './elementwise-chain';
import { conv2dRelu, matmulBias, matmulRelu } from './epilogue';
import { logSoftmaxNllGradRule, logSoftmaxNllRule } from './log-softmax-nll';
import { poolGradRelu } from './pool-grad-relu';
import { reluGradFromOutput } from './relu-grad-from-output';
import type { FusionRule } from './rule';
import { sweep, type FusedSchedule } from './sweep';
import { updateGradScale } from './update-grad-scale';

const CANONICAL_RULES: FusionRule[] = [logSoftmaxNllGradRule, reluGradFromOutput, updateGradScale];
// elementwiseChain stays last: it would otherwise turn an epilogue's add or relu into a chain first.
const FUSING_RULES: FusionRule[] = [logSoftmaxNllRule, conv2dRelu, matmulBias, matmulRelu, poolGradRelu, elementwiseChain];

/** Rewrites a step; `outputs` are the tensors the caller fetches, returned as what now computes them. */
export function fuse(schedule: readonly Tensor[], outputs: readonly Tensor[]): FusedSchedule {
  const canonical = sweep(schedule, outputs, CANONICAL_RULES);
  return sweep(canonical.schedule, canonical.outputs, FUSING_RULES);
}

export type { FusedSchedule } from './sweep';
