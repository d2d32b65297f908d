// A step's scalar effects (counters, running sums) in one invocation, in the order the step made
// them. src/ops/scalar-effects.ts fills the slots: one binding per tensor (read_write where an effect
// updates it), each op's function (shaders/<op>.wgsl), and one statement per effect. One invocation
// suffices: each effect touches one element, and later dispatches of the step read the results.

{{BINDINGS}}

{{SNIPPETS}}

@compute @workgroup_size(1)
fn main() {
{{STATEMENTS}}
}
