// The contract of a fusion rule. Fusion runs on the compiled step's schedule after autodiff, so the
// backward pass and the optimizer are fused like the forward pass. A rule looks at one node (its
// inputs already rewritten by earlier rules) and returns a node computing the same value with fewer
// kernels or fewer bytes, or null. Rewritten nodes live outside the user's graph, which stays as built.
import type { AnyOpDef } from '../../ops/op';
import type { Tensor } from '../tensor';

export interface FusionContext {
  /** How many nodes of the step read `t`, plus one if the caller fetches it: 1 means it can be absorbed. */
  uses(t: Tensor): number;
  /** The nodes of the step that read `t`, as they were before this sweep rewrote them. */
  consumers(t: Tensor): readonly Tensor[];
  /** Whether `t` (a node as it was before this sweep) runs before the node being rewritten. */
  runsBefore(t: Tensor): boolean;
  /** What the sweep has turned `t` into so far (t itself when no rule has rewritten it yet). */
  current(t: Tensor): Tensor;
  /** A new node outside the user's graph; shape and dtype come from the op's own inference. */
  node(op: AnyOpDef, inputs: readonly Tensor[], attrs: unknown, name?: string): Tensor;
}

export interface FusionRule {
  readonly name: string;
  /** A replacement for `node` computing the same value, or null when the rule does not apply. */
  apply(node: Tensor, ctx: FusionContext): Tensor | null;
}
