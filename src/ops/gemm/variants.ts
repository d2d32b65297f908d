// The GPU-shaped forms of src/ops/gemm/forms.ts as tuning variants of an op's call.
import { dispatch1d, type KernelVariant } from '../op';
import { emitGemm, type GemmOperands } from './emit';
import { formName, formNeeds, formTiles, KSPLIT_FORMS, ksplitWorthOffering, TILED_FORMS, type GemmForm } from './forms';
import { convForwardOperands, inputGradOperands, matmulOperands, weightGradOperands, type GemmLayout } from './operands';

/** One form as a variant: one workgroup per output tile of each of `slabs` slabs, its code generated for `operands`. */
export function formVariant(form: GemmForm, operands: GemmOperands, m: number, n: number, slabs = 1): KernelVariant {
  const needs = formNeeds(form);
  return {
    name: formName(form),
    constants: {},
    workgroups: dispatch1d(formTiles(form, m, n) * slabs * needs.invocations, needs.invocations),
    code: emitGemm(form, operands),
    needs: { hardware: true, ...needs },
  };
}

/** matmul's hardware forms for an M x N output: every tiled form, and the K splits where the output is not large. */
export function matmulHardwareVariants(layout: GemmLayout, m: number, n: number): KernelVariant[] {
  const operands = matmulOperands(layout);
  const forms: GemmForm[] = [...TILED_FORMS, ...(ksplitWorthOffering(m, n) ? KSPLIT_FORMS : [])];
  return forms.map((form) => formVariant(form, operands, m, n));
}

/** conv2d's forward: the tiled forms over CO x (B*OH*OW) (K = C*KH*KW is short: no K split). */
export function convForwardHardwareVariants(outChannels: number, pixels: number): KernelVariant[] {
  const operands = convForwardOperands();
  return TILED_FORMS.map((form) => formVariant(form, operands, outChannels, pixels));
}

/** conv2d's input gradient: the tiled forms over C x (B*H*W). */
export function inputGradHardwareVariants(inChannels: number, pixels: number): KernelVariant[] {
  const operands = inputGradOperands();
  return TILED_FORMS.map((form) => formVariant(form, operands, inChannels, pixels));
}

/**
 * conv2d's weight gradient: a CO x taps output, tiny beside its K (every pixel of the batch): the K
 * splits, lanes over pixels (coalesced reads of dy and of the input), in each of the op's slabs.
 */
export function weightGradHardwareVariants(outChannels: number, taps: number, splits: number): KernelVariant[] {
  const operands = weightGradOperands();
  return KSPLIT_FORMS.map((form) => formVariant(form, operands, outChannels, taps, splits));
}
