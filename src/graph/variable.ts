// Variables are tensors that outlive a training step: parameters, optimizer state, datasets.
// Their GPU buffers belong to the variable, not to a compiled program, so a training program, an
// evaluation program and a program for a last partial batch all read and write the same storage.
import type { Device } from '../device/device';
import { decodeF16 } from './half';
import { bytesOf, checkShape, fmt, sizeOf, type DType, type Shape } from './shape';

/** Why an f16 Variable, input or constant is refused: f16 is made inside a graph, from f32 master values. */
const F16_HAS_NO_HOST_DATA =
  "f16 tensors have no host data in Kiln: keep the values in f32 (a Variable or an input) and cast them inside the graph (precision: 'f16-mixed' does this for the products)";

export type HostArray = Float32Array | Int32Array | Uint8Array;

/**
 * The typed array that holds values of a dtype: Float32Array for f32, Int32Array for i32, Uint8Array
 * for u8. An f16 tensor read back from the GPU arrives as f32 values (f16 has no typed array in Node 20).
 */
export type HostArrayOf<D extends DType> = D extends 'f32' | 'f16' ? Float32Array : D extends 'i32' ? Int32Array : Uint8Array;

/** Where a variable's bytes live on the GPU: its own buffer at offset 0, or a range of a shared one. */
export interface VariableBinding {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

/** The owner of a buffer several variables share (see variable-pack.ts): told when a member leaves. */
export interface SharedStorage {
  readonly buffer: GPUBuffer;
  detach(variable: Variable): void;
}

function hostArrayFor<D extends DType>(dtype: D, size: number): HostArrayOf<D> {
  if (dtype === 'f32') return new Float32Array(size) as HostArrayOf<D>;
  if (dtype === 'i32') return new Int32Array(size) as HostArrayOf<D>;
  return new Uint8Array(size) as HostArrayOf<D>;
}

/** A view of bytes read back from the GPU as the typed array of `dtype` (u8 values are padded to 4 bytes there). */
export function fromBytes<D extends DType>(dtype: D, bytes: ArrayBuffer, size: number): HostArrayOf<D> {
  if (dtype === 'f32') return new Float32Array(bytes, 0, size) as HostArrayOf<D>;
  if (dtype === 'i32') return new Int32Array(bytes, 0, size) as HostArrayOf<D>;
  if (dtype === 'f16') return decodeF16(bytes, size) as HostArrayOf<D>;
  return new Uint8Array(bytes).slice(0, size) as HostArrayOf<D>;
}

/**
 * A tensor that outlives a step, typed by its dtype: `new Variable('w', [2, 3], 'f32')` reads back
 * as a Float32Array.
 */
export class Variable<D extends DType = DType> {
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: D;
  readonly trainable: boolean;
  private host: HostArrayOf<D>;
  private gpu: { device: Device; buffer: GPUBuffer; offset: number; shared: SharedStorage | null } | null = null;

  /** What to do when the variable is too large for one binding (datasets say how to split); shown in that error. */
  readonly tooLarge: string | null;

  constructor(name: string, shape: Shape, dtype: D, options: { trainable?: boolean; data?: HostArrayOf<D>; tooLarge?: string } = {}) {
    checkShape(`variable ${name}`, shape);
    if (dtype === 'f16') throw new TypeError(`variable ${name}: ${F16_HAS_NO_HOST_DATA}`);
    this.name = name;
    this.shape = [...shape];
    this.dtype = dtype;
    this.trainable = options.trainable ?? false;
    this.tooLarge = options.tooLarge ?? null;
    this.host = options.data ?? hostArrayFor(dtype, sizeOf(shape));
    checkHostData(this.name, this.shape, this.dtype, this.host);
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get byteLength(): number {
    return bytesOf(this.dtype, this.size);
  }

  /** The GPU storage on `device`: its own buffer, created and filled with the current value on first use, unless packed. */
  /** @internal */
  bindingOn(device: Device): VariableBinding {
    if (this.gpu && this.gpu.device !== device) {
      throw new Error(`variable ${this.name} lives on another device; Kiln does not move variables between devices`);
    }
    if (!this.gpu) {
      const buffer = device.createStorage(this.name, this.byteLength);
      device.write(buffer, 0, this.host);
      this.gpu = { device, buffer, offset: 0, shared: null };
    }
    return { buffer: this.gpu.buffer, offset: this.gpu.offset, size: this.byteLength };
  }

  /** The shared buffer holding the variable and its offset there, or null (own buffer, or not on the GPU yet). */
  /** @internal */
  get placement(): { shared: SharedStorage; offset: number } | null {
    return this.gpu?.shared ? { shared: this.gpu.shared, offset: this.gpu.offset } : null;
  }

  /** Whether the variable has GPU storage yet (once it has, programs are bound to it and it never moves). */
  get onGpu(): boolean {
    return this.gpu !== null;
  }

  /**
   * Gives a variable with no GPU storage yet a range of a shared buffer, filled with its value: how a
   * model's parameters end up in one flat buffer that one optimizer kernel updates.
   */
  /** @internal */
  placeIn(device: Device, shared: SharedStorage, offset: number): void {
    if (this.gpu) throw new Error(`internal: variable ${this.name} already has GPU storage`);
    device.write(shared.buffer, offset, this.host);
    this.gpu = { device, buffer: shared.buffer, offset, shared };
  }

  /** Replaces the value (on the GPU too, if it is there). */
  assign(data: HostArrayOf<D>): void {
    checkHostData(this.name, this.shape, this.dtype, data);
    this.host = data;
    if (this.gpu) this.gpu.device.write(this.gpu.buffer, this.gpu.offset, data);
  }

  /** The current value: read back from the GPU when it lives there. */
  async read(): Promise<HostArrayOf<D>> {
    if (!this.gpu) return this.host.slice() as HostArrayOf<D>;
    return this.fromBytes(await this.gpu.device.read(this.gpu.buffer, this.gpu.offset, this.byteLength));
  }

  /**
   * Records a copy of the value into `encoder` (a program's run, so the read needs no submit of its
   * own); the returned function resolves to the value once that encoder has been submitted.
   */
  encodeRead(device: Device, encoder: GPUCommandEncoder): () => Promise<HostArrayOf<D>> {
    const { buffer, offset } = this.bindingOn(device);
    const pending = device.encodeRead(encoder, buffer, offset, this.byteLength);
    return async () => this.fromBytes(await pending.bytes());
  }

  private fromBytes(bytes: ArrayBuffer): HostArrayOf<D> {
    return fromBytes(this.dtype, bytes, this.size);
  }

  /**
   * Frees the GPU copy without reading it back: for storage nobody can read any more (a lazy tensor
   * that was garbage collected). Its host value is stale from here.
   */
  /** @internal */
  dispose(): void {
    if (!this.gpu) return;
    const { device, buffer, shared } = this.gpu;
    this.gpu = null;
    if (shared) shared.detach(this);
    else device.destroyBuffer(buffer);
  }

  /** Frees the GPU copy (after reading it back into host memory). */
  async release(): Promise<void> {
    if (!this.gpu) return;
    this.host = await this.read();
    const { device, buffer, shared } = this.gpu;
    this.gpu = null;
    if (shared) shared.detach(this);
    else device.destroyBuffer(buffer);
  }
}

export function checkHostData(name: string, shape: Shape, dtype: DType, data: HostArray): void {
  if (dtype === 'f16') throw new TypeError(`${name}: ${F16_HAS_NO_HOST_DATA}`);
  const expected = dtype === 'f32' ? Float32Array : dtype === 'i32' ? Int32Array : Uint8Array;
  if (!(data instanceof expected)) {
    throw new TypeError(`${name}: expected a ${expected.name} for dtype ${dtype}, got ${data.constructor.name}`);
  }
  if (data.length !== sizeOf(shape)) {
    throw new RangeError(`${name}: ${data.length} values given for shape ${fmt(shape)} (${sizeOf(shape)} expected)`);
  }
  if (data instanceof Float32Array) {
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`${name}: value ${data[bad]} at index ${bad} is not a finite number`);
  }
}
