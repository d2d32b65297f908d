// Who owns the bytes of each tensor a program touches, and at which offset: variables their own
// buffers, inputs one buffer each per program, constants one shared read-only buffer, intermediates
// the arenas of the memory plan, and the kernels' uniforms one uniform buffer. Program.compile asks it
// for the buffer range behind every binding.
import type { Device } from '../device/device';
import { alignUp, bindingBytes, storageRoot, type MemoryPlan } from './memory-plan';
import type { ProgramStats } from './program';
import { bytesOf } from './shape';
import type { Tensor } from './tensor';

/** One binding's buffer range (what a bind group entry's resource takes). */
export interface BufferRange {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

type UniformData = Uint32Array | Float32Array | Int32Array;

/** Arena names in describe(): A0, A1, ... */
export function arenaName(index: number): string {
  return `A${index}`;
}

export class StorageMap {
  private readonly leaves = new Map<Tensor, BufferRange>();
  /** Variables' buffers counted in variableBytes: a packed model's buffer once, however many members it binds. */
  private readonly variableBuffers = new Set<GPUBuffer>();
  private readonly arenas: GPUBuffer[];
  private readonly constantBuffer: GPUBuffer | null = null;
  private readonly uniformAlignment: number;
  private readonly uniformData: { data: UniformData; offset: number; size: number }[] = [];
  private uniformBuffer: GPUBuffer | null = null;
  private uniformEnd = 0;
  private readonly sizes = { variableBytes: 0, inputBytes: 0, constantBytes: 0, intermediateBytes: 0, uniformBytes: 0 };

  constructor(
    private readonly device: Device,
    private readonly label: string,
    private readonly plan: MemoryPlan,
  ) {
    this.uniformAlignment = device.limits['minUniformBufferOffsetAlignment'] ?? 256;
    this.arenas = plan.arenas.map((arena, i) => device.createStorage(`${label}/${arenaName(i)}`, arena.bytes));
    this.sizes.intermediateBytes = this.arenas.reduce((a, b) => a + b.size, 0);
    if (plan.constants.size > 0) {
      const buffer = device.createStorage(`${label}/constants`, plan.constantBytes);
      for (const [t, offset] of plan.constants) device.write(buffer, offset, t.value!);
      this.constantBuffer = buffer;
      this.sizes.constantBytes = buffer.size;
    }
  }

  /** The buffer of a variable, input or constant (made on first request for inputs). */
  leaf(node: Tensor): GPUBuffer {
    return this.leafRange(node).buffer;
  }

  private leafRange(node: Tensor): BufferRange {
    if (node.kind === 'constant') {
      const offset = this.plan.constants.get(node);
      if (!this.constantBuffer || offset === undefined) throw new Error(`internal: constant ${node} was not planned`);
      return { buffer: this.constantBuffer, offset, size: bindingBytes(node) };
    }
    let range = this.leaves.get(node);
    if (range) return range;
    if (node.kind === 'variable') {
      // Packed variables (a model's parameters in one buffer) start at an offset of a shared buffer.
      range = { ...node.variable!.bindingOn(this.device), size: bindingBytes(node) };
      if (!this.variableBuffers.has(range.buffer)) {
        this.variableBuffers.add(range.buffer);
        this.sizes.variableBytes += range.buffer.size;
      }
    } else if (node.kind === 'input') {
      const buffer = this.device.createStorage(`${this.label}/input:${node.name}`, bytesOf(node.dtype, node.size));
      this.sizes.inputBytes += buffer.size;
      range = { buffer, offset: 0, size: bindingBytes(node) };
    } else {
      throw new Error(`internal: ${node} is not a leaf`);
    }
    this.leaves.set(node, range);
    return range;
  }

  /** Frees every buffer this map made (arenas, constants, inputs, uniforms); variables belong to others. */
  destroy(): void {
    const own = [...this.arenas, this.constantBuffer, this.uniformBuffer, ...[...this.leaves].filter(([t]) => t.kind === 'input').map(([, r]) => r.buffer)];
    for (const buffer of own) if (buffer) this.device.destroyBuffer(buffer);
    this.leaves.clear();
  }

  /** The bytes `t` occupies (for views, the bytes of the tensor they look into). */
  binding(t: Tensor): BufferRange {
    const root = storageRoot(t);
    const size = bindingBytes(t);
    if (root.kind !== 'op') return { ...this.leafRange(root), size };
    const placement = this.plan.placements.get(root);
    if (!placement) throw new Error(`internal: no storage planned for ${root}`);
    return { buffer: this.arenas[placement.arena]!, offset: placement.offset, size };
  }

  /**
   * One binding over tensors placed side by side in one buffer (a packed model's parameters, pinned
   * gradients), from the first's start to the last's end.
   */
  spanBinding(tensors: readonly Tensor[]): BufferRange {
    const ranges = tensors.map((t) => this.binding(t));
    const first = ranges[0];
    if (!first) throw new Error('internal: an empty span binding');
    ranges.forEach((r, i) => {
      if (r.buffer !== first.buffer || (i > 0 && r.offset < ranges[i - 1]!.offset + ranges[i - 1]!.size)) {
        throw new Error(`internal: ${tensors[i]} is not laid out after ${tensors[i - 1] ?? tensors[0]} in one buffer, as its span binding needs`);
      }
    });
    const last = ranges[ranges.length - 1]!;
    return { buffer: first.buffer, offset: first.offset, size: last.offset + last.size - first.offset };
  }

  /** Where `t` lives, for describe(): `A1@0x3f00`, `C@0x100`, or the variable's or input's name. */
  where(t: Tensor): string {
    const root = storageRoot(t);
    const hex = (n: number) => `0x${n.toString(16)}`;
    const placement = this.plan.placements.get(root);
    if (placement) return `${arenaName(placement.arena)}@${hex(placement.offset)}`;
    const constant = this.plan.constants.get(root);
    if (constant !== undefined) return `C@${hex(constant)}`;
    return root.name;
  }

  /**
   * Reserves room for one kernel's uniform data in the program's one uniform buffer and returns its
   * handle. Every reservation must come before the first uniformBinding(), which makes the buffer.
   */
  reserveUniform(data: UniformData): number {
    if (this.uniformBuffer) throw new Error('internal: a uniform was reserved after the uniform buffer was made');
    const offset = alignUp(this.uniformEnd, this.uniformAlignment);
    // Bound 16-byte granular, as a buffer of its own would be: WGSL uniform structs round up to 16.
    const size = Math.max(16, alignUp(data.byteLength, 16));
    this.uniformData.push({ data, offset, size });
    this.uniformEnd = offset + size;
    return this.uniformData.length - 1;
  }

  uniformBinding(handle: number): BufferRange {
    if (!this.uniformBuffer) {
      this.uniformBuffer = this.device.createBuffer(`${this.label}/uniforms`, this.uniformEnd, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      for (const { data, offset } of this.uniformData) this.device.write(this.uniformBuffer, offset, data);
      this.sizes.uniformBytes = this.uniformBuffer.size;
    }
    const { offset, size } = this.uniformData[handle]!;
    return { buffer: this.uniformBuffer, offset, size };
  }

  /** Where `handle`'s uniform data lives, for describe(). */
  uniformWhere(handle: number): string {
    return `U@0x${this.uniformData[handle]!.offset.toString(16)}`;
  }

  /** The sizes of the buffers made for this program, plus the variables it binds. */
  bytes(): Pick<ProgramStats, 'peakBytes' | 'variableBytes' | 'inputBytes' | 'constantBytes' | 'intermediateBytes' | 'uniformBytes' | 'arenaBytes'> {
    const s = this.sizes;
    return {
      ...s,
      arenaBytes: this.arenas.map((b) => b.size),
      peakBytes: s.variableBytes + s.inputBytes + s.constantBytes + s.intermediateBytes + s.uniformBytes,
    };
  }
}
