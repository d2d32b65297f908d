// The GPU-shaped forms of src/ops/gemm/forms.ts as tuning variants of a matmul call.
import { dispatch1d, type KernelVariant } from '../op';
import { emitGemm, type GemmLayout } from './emit';
import { formName, formNeeds, formTiles, KSPLIT_FORMS, ksplitWorthOffering, TILED_FORMS, type GemmForm } from './forms';

/** One form as a variant: one workgroup per output tile, its code generated for `layout`. */
export function formVariant(form: GemmForm, layout: GemmLayout, m: number, n: number): KernelVariant {
  const needs = formNeeds(form);
  return {
    name: formName(form),
    constants: {},
    workgroups: dispatch1d(formTiles(form, m, n) * needs.invocations, needs.invocations),
    code: emitGemm(form, layout),
    needs: { hardware: true, ...needs },
  };
}

/** The hardware forms worth timing for an M x N output: every tiled form, and the K splits where the output is not large. */
export function hardwareVariants(layout: GemmLayout, m: number, n: number): KernelVariant[] {
  const forms: GemmForm[] = [...TILED_FORMS, ...(ksplitWorthOffering(m, n) ? KSPLIT_FORMS : [])];
  return forms.map((form) => formVariant(form, layout, m, n));
}
