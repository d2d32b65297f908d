// Several variables in one GPU buffer, each at an offset aligned for binding. A model's parameters
// packed this way (and their momentum buffers, with the same layout) let one optimizer kernel update
// every parameter in one dispatch. Packing happens only before any of them has GPU storage: programs
// compiled earlier hold bind groups on the old buffers, so a placed variable never moves.
import type { Device } from '../device/device';
import type { SharedStorage, Variable } from './variable';

export interface PackLayout {
  /** Byte offset of each member, in order. */
  offsets: number[];
  /** Bytes from the first member's start to the last one's end. */
  bytes: number;
}

/** Members laid out in order, each starting at a multiple of `alignment` bytes. */
export function packLayout(byteLengths: readonly number[], alignment: number): PackLayout {
  const offsets: number[] = [];
  let end = 0;
  for (const bytes of byteLengths) {
    const offset = Math.ceil(end / alignment) * alignment;
    offsets.push(offset);
    end = offset + bytes;
  }
  return { offsets, bytes: end };
}

export class VariablePack implements SharedStorage {
  readonly buffer: GPUBuffer;
  readonly layout: PackLayout;
  readonly members: readonly Variable[];
  private readonly device: Device;
  private attached: Set<Variable>;

  private constructor(device: Device, buffer: GPUBuffer, layout: PackLayout, members: readonly Variable[]) {
    this.device = device;
    this.buffer = buffer;
    this.layout = layout;
    this.members = members;
    this.attached = new Set(members);
  }

  /** Places `variables` (none on the GPU yet) in one new buffer laid out by `layout`. */
  static create(device: Device, label: string, variables: readonly Variable[], layout: PackLayout): VariablePack {
    const buffer = device.createStorage(label, layout.bytes);
    const pack = new VariablePack(device, buffer, layout, variables);
    variables.forEach((v, i) => v.placeIn(device, pack, layout.offsets[i]!));
    return pack;
  }

  /** True when `variables` are exactly this pack's members, in order (a second program over the same model). */
  holds(variables: readonly Variable[]): boolean {
    return variables.length === this.members.length && variables.every((v, i) => v === this.members[i] && v.placement?.shared === this);
  }

  /** A member released its storage; the buffer goes when the last one does. */
  detach(variable: Variable): void {
    this.attached.delete(variable);
    if (this.attached.size === 0) this.device.destroyBuffer(this.buffer);
  }
}
