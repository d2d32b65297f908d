// The GPU-shaped forms of src/ops/gemm/forms.ts as tuning variants of an op's call.
import { dispatch1d, type KernelVariant } from '../op';
import { emitGemm, type GemmOperands } from './emit';
import { formName, formNeeds, formTiles, KSPLIT_FORMS, ksplitWorthOffering, TILED_FORMS, type GemmForm, type TiledForm } from './forms';
import { convForwardOperands, inputGradOperands, matmulOperands, weightGradOperands, type GemmElements, type GemmLayout } from './operands';

/**
 * One form as a variant: one workgroup per output tile of each of `slabs` slabs, its code generated
 * for `operands`. Marked for hardware (tuning on a software adapter skips it) unless `everywhere`.
 */
export function formVariant(form: GemmForm, operands: GemmOperands, m: number, n: number, slabs = 1, everywhere = false): KernelVariant {
  const needs = formNeeds(form);
  return {
    name: formName(form),
    constants: {},
    workgroups: dispatch1d(formTiles(form, m, n) * slabs * needs.invocations, needs.invocations),
    code: emitGemm(form, operands),
    needs: { hardware: !everywhere, ...needs },
  };
}

/** matmul's hardware forms for an M x N output: every tiled form, and the K splits where the output is not large. */
export function matmulHardwareVariants(layout: GemmLayout, m: number, n: number, elements?: GemmElements): KernelVariant[] {
  const operands = matmulOperands(layout, elements);
  const forms: GemmForm[] = [...TILED_FORMS, ...(ksplitWorthOffering(m, n) ? KSPLIT_FORMS : [])];
  return forms.map((form) => formVariant(form, operands, m, n));
}

/**
 * The form an f16-operand matmul runs where nothing was tuned, and on software adapters: the
 * register-tiled kernels read f32 only, and this tile fits every adapter's limits (128 invocations,
 * 4,224 bytes of workgroup memory).
 */
export const F16_DEFAULT_FORM: TiledForm = { kind: 'tiled', bm: 32, bn: 32, bk: 16, tm: 4, tn: 2, stages: 1, pad: 1, reads: 'scalar' };

/** matmul's variants when an operand is f16: the default form first (runs everywhere), then every hardware form. */
export function matmulF16Variants(layout: GemmLayout, m: number, n: number, elements: GemmElements): KernelVariant[] {
  const everywhere = formVariant(F16_DEFAULT_FORM, matmulOperands(layout, elements), m, n, 1, true);
  const others = matmulHardwareVariants(layout, m, n, elements).filter((v) => v.name !== everywhere.name);
  return [everywhere, ...others];
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
