// The registry of public ops: one entry per builder, each declared in its op's module with its test
// domain (src/ops/op-method.ts). Graph methods (src/graph/graph-ops.ts), the eager Tensor's derived
// methods and functional namespace (src/tensor/) and the conformance test's table all come from here:
// adding an op is its module plus one line below.
import { accuracyMethod } from './accuracy';
import { addMethod } from './add';
import { argmaxMethod } from './argmax';
import { adaptiveAvgPool2dMethod, avgPool2dMethod } from './avg-pool2d';
import { scaledDotProductAttentionMethod } from './attention';
import { batchGatherMethod } from './batch-gather';
import { batchNormMethod, batchNormStatsMethod } from './batch-norm';
import { batchMatmulMethod } from './batch-matmul';
import { broadcastToMethod } from './broadcast-to';
import { castMethod } from './cast';
import { geMethod, gtMethod, leMethod, ltMethod, neMethod } from './compare';
import { concatMethod } from './concat';
import { conv2dMethod } from './conv2d';
import { crossEntropyMethod } from './cross-entropy';
import { detachMethod } from './detach';
import { divMethod } from './div';
import { dropoutMethod } from './dropout';
import { embeddingMethod } from './embedding';
import { equalMethod } from './equal';
import { expMethod } from './exp';
import { geluMethod } from './gelu';
import { layerNormMethod } from './layer-norm';
import { logMethod } from './log';
import { logSoftmaxMethod } from './log-softmax';
import { matmulMethod } from './matmul';
import { maxMethod } from './max';
import { maxPool2dMethod } from './max-pool2d';
import { meanMethod } from './mean';
import { mseLossMethod } from './mse-loss';
import { mulMethod } from './mul';
import { negMethod } from './neg';
import { nllLossMethod } from './nll-loss';
import { permuteMethod } from './permute';
import { powMethod, squareMethod } from './pow';
import { reluMethod } from './relu';
import { flattenMethod, reshapeMethod } from './reshape';
import { sigmoidMethod } from './sigmoid';
import { siluMethod } from './silu';
import { sliceMethod } from './slice';
import { softmaxMethod } from './softmax';
import { subMethod } from './sub';
import { sumMethod } from './sum';
import { sumSquaresMethod } from './sum-squares';
import { tanhMethod } from './tanh';
import { textWindowsMethod } from './text-windows';
import { maskedFillMethod, whereMethod } from './where';

/** Every public op: its builder (a Graph method), its test domain and how eager code reaches it. */
export const OP_METHODS = {
  accuracy: accuracyMethod,
  adaptiveAvgPool2d: adaptiveAvgPool2dMethod,
  add: addMethod,
  argmax: argmaxMethod,
  avgPool2d: avgPool2dMethod,
  batchGather: batchGatherMethod,
  batchMatmul: batchMatmulMethod,
  batchNorm: batchNormMethod,
  batchNormStats: batchNormStatsMethod,
  broadcastTo: broadcastToMethod,
  cast: castMethod,
  concat: concatMethod,
  conv2d: conv2dMethod,
  crossEntropy: crossEntropyMethod,
  detach: detachMethod,
  div: divMethod,
  dropout: dropoutMethod,
  embedding: embeddingMethod,
  equal: equalMethod,
  exp: expMethod,
  flatten: flattenMethod,
  ge: geMethod,
  gelu: geluMethod,
  gt: gtMethod,
  layerNorm: layerNormMethod,
  le: leMethod,
  lt: ltMethod,
  log: logMethod,
  maskedFill: maskedFillMethod,
  logSoftmax: logSoftmaxMethod,
  matmul: matmulMethod,
  max: maxMethod,
  maxPool2d: maxPool2dMethod,
  mean: meanMethod,
  mseLoss: mseLossMethod,
  mul: mulMethod,
  ne: neMethod,
  neg: negMethod,
  nllLoss: nllLossMethod,
  permute: permuteMethod,
  pow: powMethod,
  relu: reluMethod,
  scaledDotProductAttention: scaledDotProductAttentionMethod,
  reshape: reshapeMethod,
  sigmoid: sigmoidMethod,
  silu: siluMethod,
  slice: sliceMethod,
  softmax: softmaxMethod,
  square: squareMethod,
  sub: subMethod,
  sum: sumMethod,
  sumSquares: sumSquaresMethod,
  tanh: tanhMethod,
  textWindows: textWindowsMethod,
  where: whereMethod,
};

export type OpMethods = typeof OP_METHODS;
export type OpName = keyof OpMethods;
/** The graph builder of every registered op, as Graph methods: g.add(a, b), g.layerNorm(x, [C]). */
export type GraphOpMethods = { [K in OpName]: OpMethods[K]['build'] };
