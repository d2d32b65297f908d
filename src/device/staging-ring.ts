// The staging buffers readbacks go through. A read copies into a free MAP_READ buffer, maps it, copies
// the bytes out and hands it back, so after the first few reads no buffer is ever created again. A
// read never waits on another: when every slot is mapped or in flight, the ring grows by one slot.

/** How a slot's buffer is made: the device's createBuffer, so its byte counts include the ring. */
export type CreateStaging = (label: string, size: number, usage: GPUBufferUsageFlags) => GPUBuffer;
export type DestroyStaging = (buffer: GPUBuffer) => void;

export interface StagingRingStats {
  /** Slots in the ring, free or in use. */
  slots: number;
  /** Slots handed out and not yet released (reads in flight). */
  inUse: number;
  /** Staging buffers created since the ring was made (a slot regrown for a larger read counts again). */
  buffersCreated: number;
}

/** Smallest slot: small reads (a loss, a counter) share one size, so any free slot fits them. */
const MIN_SLOT_BYTES = 256;
/** Past this, slots round up to a multiple of it rather than to a power of two (less memory held). */
const LARGE_SLOT_STEP = 1 << 20;

export class StagingRing {
  private readonly free: GPUBuffer[] = [];
  private readonly busy = new Set<GPUBuffer>();
  private created = 0;
  private readonly create: CreateStaging;
  private readonly destroy: DestroyStaging;

  constructor(create: CreateStaging, destroy: DestroyStaging) {
    this.create = create;
    this.destroy = destroy;
  }

  /**
   * A free slot of at least `size` bytes, kept for the caller until release(). Prefers the smallest
   * free slot that fits; else regrows the largest free slot (to a power of two, so a series of
   * growing reads regrows rarely); else, with every slot in flight, adds one.
   */
  acquire(size: number): GPUBuffer {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`staging ring: a read of ${size} bytes`);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const slot = this.free[i]!;
      if (slot.size >= size && (best < 0 || slot.size < this.free[best]!.size)) best = i;
    }
    let slot: GPUBuffer;
    if (best >= 0) {
      slot = this.free.splice(best, 1)[0]!;
    } else {
      // No free slot is large enough: replace the largest free one (if any) instead of adding a slot.
      if (this.free.length > 0) {
        this.free.sort((a, b) => a.size - b.size);
        this.destroy(this.free.pop()!);
      }
      slot = this.create('readback staging', slotBytes(size), GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      this.created++;
    }
    this.busy.add(slot);
    return slot;
  }

  /** Returns a slot (unmapped) to the ring for the next read. */
  release(slot: GPUBuffer): void {
    if (!this.busy.delete(slot)) throw new Error('staging ring: released a buffer the ring did not hand out');
    this.free.push(slot);
  }

  /** Takes a slot out of the ring for good: a read whose map failed leaves the buffer unusable. */
  discard(slot: GPUBuffer): void {
    if (!this.busy.delete(slot)) throw new Error('staging ring: discarded a buffer the ring did not hand out');
    this.destroy(slot);
  }

  get stats(): StagingRingStats {
    return { slots: this.free.length + this.busy.size, inUse: this.busy.size, buffersCreated: this.created };
  }
}

function slotBytes(size: number): number {
  if (size > LARGE_SLOT_STEP) return Math.ceil(size / LARGE_SLOT_STEP) * LARGE_SLOT_STEP;
  return Math.max(MIN_SLOT_BYTES, 2 ** Math.ceil(Math.log2(size)));
}
