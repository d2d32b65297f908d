// A trace: the graph that lazy tensors record into until a value is needed or a step ends. It is a
// Graph like any other (the compiler takes it as it is); what it adds is what the tensors need to
// know about it: which host arrays feed which inputs, which tensors were made or updated here, the
// current (SSA) node of each variable updated in place, and the autograd leaves.
import { Graph } from '../graph/graph';
import type { DType, Shape } from '../graph/shape';
import type { Tensor as Node } from '../graph/tensor';
import type { HostArray, Variable } from '../graph/variable';
import type { Tensor } from './tensor';

/** How a trace asks the tensor layer about a variable a module reads (`g.variable(weight)`). */
export type VariableHook = (trace: Trace, variable: Variable) => Node;

export class Trace extends Graph {
  /** Host data for each input node, by input name; a promise while a readback is still on its way. */
  readonly feeds = new Map<string, HostArray | Promise<HostArray>>();
  /** Every lazy tensor whose value is a node of this trace (made or updated here), in order. */
  readonly tensors = new Set<Tensor>();
  /** The version each variable had when this trace first read it. */
  readonly versions = new Map<Variable, number>();
  /** The node standing for the current value of a variable updated in place in this trace. */
  private readonly updated = new Map<Variable, Node>();
  /** Nodes that are the value of an autograd leaf (a tensor with requiresGrad made by the user). */
  readonly leaves = new Map<Node, Tensor>();
  /** Nodes known to be all zeros (a gradient after zero_()), so that accumulating into them is a plain write. */
  readonly zeros = new WeakSet<Node>();
  /** Memo of inputs already made for host tensors and of detached nodes. */
  readonly fedBy = new Map<Tensor, Node>();
  readonly detached = new Map<Node, Node>();
  private readonly hook: VariableHook;

  constructor(hook: VariableHook) {
    super();
    this.hook = hook;
  }

  /** The node a module or op reads for `variable`: its updated value if this trace updated it in place. */
  override variable<D extends DType>(variable: Variable<D>): Node<D> {
    return (this.updated.get(variable) ?? this.hook(this, variable)) as Node<D>;
  }

  /** The variable's node as stored when the trace runs (before any in-place update recorded here). */
  storedValue<D extends DType>(variable: Variable<D>, version: number): Node<D> {
    if (!this.versions.has(variable)) this.versions.set(variable, version);
    return super.variable(variable);
  }

  /** Records that `variable`'s value is now `node` (an in-place update). */
  update(variable: Variable, node: Node): void {
    this.updated.set(variable, node);
  }

  /** A new input fed with `data` when the trace runs. */
  feed(shape: Shape, dtype: DType, data: HostArray | Promise<HostArray>): Node {
    const name = `in${this.feeds.size}`;
    this.feeds.set(name, data);
    return this.input(name, shape, dtype);
  }
}
