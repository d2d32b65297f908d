// Who owns the bytes of each tensor a program touches: variables their own buffers, inputs and
// constants one buffer each per program, intermediates the slots of the memory plan, plus the
// uniforms of the kernels. Program.compile asks it for the buffer behind every binding.
import type { Device } from '../device/device';
import { storageRoot, type MemoryPlan } from './memory-plan';
import type { ProgramStats } from './program';
import { bytesOf } from './shape';
import type { Tensor } from './tensor';

/** Who owns each tensor's bytes: variables their own buffers, inputs and constants one per program, intermediates a planned slot. */
export class StorageMap {
  private readonly leaves = new Map<Tensor, GPUBuffer>();
  private readonly slotBuffers: GPUBuffer[];
  private readonly sizes = { variableBytes: 0, inputBytes: 0, constantBytes: 0, slotBytes: 0, uniformBytes: 0 };

  constructor(
    private readonly device: Device,
    private readonly label: string,
    private readonly plan: MemoryPlan,
  ) {
    this.slotBuffers = plan.slots.map((slot, i) => device.createStorage(`${label}/slot${i}`, slot.bytes));
    this.sizes.slotBytes = this.slotBuffers.reduce((a, b) => a + b.size, 0);
  }

  leaf(node: Tensor): GPUBuffer {
    let buffer = this.leaves.get(node);
    if (buffer) return buffer;
    if (node.kind === 'variable') {
      buffer = node.variable!.bufferOn(this.device);
      this.sizes.variableBytes += buffer.size;
    } else if (node.kind === 'input') {
      buffer = this.device.createStorage(`${this.label}/input:${node.name}`, bytesOf(node.dtype, node.size));
      this.sizes.inputBytes += buffer.size;
    } else if (node.kind === 'constant') {
      buffer = this.device.createStorage(`${this.label}/${node.name}`, node.byteLength);
      this.device.write(buffer, 0, node.value!);
      this.sizes.constantBytes += buffer.size;
    } else {
      throw new Error(`internal: ${node} is not a leaf`);
    }
    this.leaves.set(node, buffer);
    return buffer;
  }

  of(t: Tensor): GPUBuffer {
    const root = storageRoot(t);
    if (root.kind !== 'op') return this.leaf(root);
    const slot = this.plan.slotOf.get(root);
    if (slot === undefined) throw new Error(`internal: no storage planned for ${root}`);
    return this.slotBuffers[slot]!;
  }

  slotName(t: Tensor): string {
    const root = storageRoot(t);
    const slot = this.plan.slotOf.get(root);
    return slot === undefined ? root.name : `slot${slot}`;
  }

  uniform(data: Uint32Array | Float32Array | Int32Array, label: string): GPUBuffer {
    const buffer = this.device.createBuffer(label, data.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.device.write(buffer, 0, data);
    this.sizes.uniformBytes += buffer.size;
    return buffer;
  }

  bytes(): Pick<ProgramStats, 'peakBytes' | 'variableBytes' | 'inputBytes' | 'constantBytes' | 'slotBytes' | 'uniformBytes'> {
    const s = this.sizes;
    return { ...s, peakBytes: s.variableBytes + s.inputBytes + s.constantBytes + s.slotBytes + s.uniformBytes };
  }
}

