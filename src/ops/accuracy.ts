// accuracy(logits [B, C], labels [B] i32) -> f32 scalar: the fraction of rows whose argmax is the
// label, in one kernel (no [B] argmax tensor in between). A metric, not a loss: it has no gradient
// rule, so grad() through it fails with a message naming it (torch too refuses to backward through
// an argmax comparison).
import code from '../../shaders/accuracy.wgsl';
import type { Tensor } from '../graph/tensor';
import { defineOp } from './op';
import { checkClassification } from './nll-loss';
import { opMethod, type OpMethod } from './op-method';

export const accuracyOp = defineOp({
  name: 'accuracy',
  infer([logits, labels]) {
    checkClassification('accuracy', 'logits', logits!, labels!);
    return { shape: [], dtype: 'f32' };
  },
  lower(node) {
    const [batch, classes] = node.inputs[0]!.shape as [number, number];
    return [{ code, constants: { B: batch, C: classes }, bindings: [{ input: 0 }, { input: 1 }, { output: true }], workgroups: [1, 1, 1] }];
  },
  cpu([logits, labels], _attrs, out) {
    const classes = logits!.shape[1]!;
    let hits = 0;
    labels!.data.forEach((label, b) => {
      let at = 0;
      for (let c = 1; c < classes; c++) if (logits!.data[b * classes + c]! > logits!.data[b * classes + at]!) at = c;
      if (at === label) hits++;
    });
    return { shape: out.shape, dtype: 'f32', data: Float64Array.of(hits / labels!.data.length) };
  },
});

/** Fraction of rows of `logits` whose first maximum is at the row's label, as an f32 scalar. */
export const accuracy = (logits: Tensor, labels: Tensor): Tensor<'f32'> => logits.graph.applyF32(accuracyOp, [logits, labels], {});

export const accuracyMethod: OpMethod<typeof accuracy> = opMethod(accuracy, {
  cases: [
    {
      label: 'a batch of 6, 4 classes',
      operands: [
        { shape: [6, 4], distinct: true },
        { shape: [6], dtype: 'i32', lo: 0, hi: 4 },
      ],
      args: (z, y) => [z, y],
      gradient: false,
    },
  ],
  eager: { graphOnly: 'a metric the trainer reports; eager code compares argmax() with the labels' },
});
