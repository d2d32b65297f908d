// Checkpoints in the safetensors format, so weights move between Kiln and PyTorch unchanged.
//
// Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON mapping each tensor name to
// {dtype, shape, data_offsets: [begin, end]} (offsets relative to the end of the header) plus an
// optional "__metadata__" of string pairs, then the tensors' little-endian bytes back to back.
//
// Platform-neutral on purpose (bytes in, bytes out): Node writes them to disk in src/cli/, a browser
// can download or fetch them.
import { fmt, sizeOf, type DType, type Shape } from '../graph/shape';
import { checkHostData, type HostArray, type Variable } from '../graph/variable';
import type { Module } from './nn/module';

/** A malformed checkpoint file, or one that does not fit the model; the message names file and tensor. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export interface NamedTensor {
  name: string;
  dtype: DType;
  shape: Shape;
  data: HostArray;
}

export interface DecodedSafetensors {
  /** In the order of their bytes in the file. */
  tensors: NamedTensor[];
  metadata: Record<string, string>;
}

// f16 is named for completeness of the map only: no Variable is f16, so no checkpoint holds one, and
// an F16 tensor in a file is refused by name (Kiln keeps master weights in f32).
const FILE_DTYPE: Record<DType, string> = { f32: 'F32', i32: 'I32', u8: 'U8', f16: 'F16' };
const KILN_DTYPE: Record<string, DType> = { F32: 'f32', I32: 'i32', U8: 'u8' };
const ELEMENT_BYTES: Record<DType, number> = { f32: 4, i32: 4, u8: 1, f16: 2 };
const METADATA_KEY = '__metadata__';
// The reference implementation refuses headers above 100 MB; a larger N means a corrupt or foreign file.
const MAX_HEADER_BYTES = 100_000_000;
// Typed arrays use the host's byte order; the file is always little-endian.
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The tensor's bytes in file order (a copy, so callers may keep mutating their arrays). */
function littleEndianBytes(data: HostArray): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (!LITTLE_ENDIAN_HOST && data.BYTES_PER_ELEMENT === 4) swapWords(bytes);
  return bytes;
}

function swapWords(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 4) {
    const [a, b] = [bytes[i]!, bytes[i + 1]!];
    bytes[i] = bytes[i + 3]!;
    bytes[i + 1] = bytes[i + 2]!;
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

/** A fresh, aligned typed array holding the file's bytes [begin, end). */
function hostArrayFrom(dtype: DType, bytes: Uint8Array): HostArray {
  // A copy into a buffer of its own, so 4-byte views are aligned and span only these bytes (a Node
  // Buffer's slice() is a view into its whole pool, not a copy).
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (dtype === 'u8') return copy;
  if (!LITTLE_ENDIAN_HOST) swapWords(copy);
  return dtype === 'f32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
}

function holdsDtype(data: HostArray, dtype: DType): boolean {
  return dtype === 'f32' ? data instanceof Float32Array : dtype === 'i32' ? data instanceof Int32Array : data instanceof Uint8Array;
}

/**
 * Serialises tensors, in the given order, into one safetensors file. `metadata` goes under
 * "__metadata__" with format "pt" unless it says otherwise, as PyTorch's loaders expect.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  // A null prototype, so a tensor called "__proto__" is stored as a key rather than swallowed.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '' || t.name === METADATA_KEY) throw new CheckpointError(`safetensors: '${t.name}' is not a valid tensor name`);
    if (t.name in header) throw new CheckpointError(`safetensors: tensor ${t.name} is listed twice`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new CheckpointError(`safetensors: tensor ${t.name} has an invalid shape ${fmt(t.shape)}`);
    if (!holdsDtype(t.data, t.dtype)) {
      throw new CheckpointError(`safetensors: tensor ${t.name} has dtype ${t.dtype} but its data is a ${t.data.constructor.name}`);
    }
    if (t.data.length !== sizeOf(t.shape)) {
      throw new CheckpointError(`safetensors: tensor ${t.name} has shape ${fmt(t.shape)} (${sizeOf(t.shape)} values) but ${t.data.length} values were given`);
    }
    header[t.name] = { dtype: FILE_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  header[METADATA_KEY] = { format: 'pt', ...metadata };

  let json = new TextEncoder().encode(JSON.stringify(header));
  // Trailing spaces so the tensor data starts 8-byte aligned (the spec allows whitespace padding).
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withPadding = new Uint8Array(padded).fill(0x20);
    withPadding.set(json);
    json = withPadding;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(littleEndianBytes(t.data), at);
    at += t.data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseEntry(fail: (message: string) => never, name: string, value: unknown): Entry {
  if (!isPlainObject(value)) fail(`tensor ${name}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') fail(`tensor ${name}: dtype is missing`);
  const kiln = KILN_DTYPE[dtype];
  if (!kiln) fail(`tensor ${name} has dtype ${dtype}; Kiln reads ${Object.keys(KILN_DTYPE).join(', ')}`);
  if (!Array.isArray(shape) || !shape.every(isIndex)) fail(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
    fail(`tensor ${name}: data_offsets ${JSON.stringify(offsets)} is not a pair [begin, end] with begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = sizeOf(shape) * ELEMENT_BYTES[kiln];
  if (end - begin !== expected) {
    fail(`tensor ${name}: data_offsets [${begin},${end}] span ${end - begin} bytes, but ${dtype} ${fmt(shape)} needs ${expected}`);
  }
  return { name, dtype: kiln, shape, begin, end };
}

function parseMetadata(fail: (message: string) => never, value: unknown): Record<string, string> {
  if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string')) fail(`${METADATA_KEY} must map strings to strings`);
  return { ...(value as Record<string, string>) };
}

/** The bytes of a file's contents as given: any view (a Node Buffer, a Uint8Array into a larger buffer, a DataView) or a whole ArrayBuffer. */
export type FileBytes = ArrayBufferView | ArrayBuffer;

/** The bytes a view covers, honouring its byteOffset and byteLength. */
export function viewBytes(data: FileBytes): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Parses a safetensors file; every error names `source` (the file) and, where it applies, the tensor. */
export function decodeSafetensors(file: FileBytes, source: string): DecodedSafetensors {
  const bytes = viewBytes(file);
  const fail: (message: string) => never = (message) => {
    throw new CheckpointError(`checkpoint ${source}: ${message}`);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, too short for the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`truncated: the header claims ${headerLength} bytes but only ${bytes.length - 8} follow (or this is not a safetensors file)`);
  }
  const n = Number(headerLength);
  if (n > MAX_HEADER_BYTES) fail(`header of ${n} bytes is larger than the ${MAX_HEADER_BYTES} allowed`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message}); is this a safetensors file?`);
  }
  if (!isPlainObject(header)) fail('header is not a JSON object; is this a safetensors file?');
  const root = header as Record<string, unknown>;

  const metadata = METADATA_KEY in root ? parseMetadata(fail, root[METADATA_KEY]) : {};
  const entries = Object.entries(root)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, value]) => parseEntry(fail, name, value));

  // The spec requires the tensors to tile the data section exactly: no overlaps, holes or leftovers.
  const data = bytes.subarray(8 + n);
  for (const e of entries) {
    if (e.end > data.length) fail(`truncated: tensor ${e.name} ends at data byte ${e.end}, but the file holds only ${data.length} bytes of data`);
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin < expected) fail(`tensor ${e.name}: data_offsets [${e.begin},${e.end}] overlap the previous tensor, which ends at ${expected}`);
    if (e.begin > expected) fail(`tensor ${e.name}: data_offsets [${e.begin},${e.end}] leave a hole of ${e.begin - expected} bytes after offset ${expected}`);
    expected = e.end;
  }
  if (expected !== data.length) fail(`${data.length - expected} trailing bytes after the last tensor`);

  const tensors = entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, data: hostArrayFrom(e.dtype, data.subarray(e.begin, e.end)) }));
  return { tensors, metadata };
}

/** What a module's checkpoint holds, as torch's state_dict(): its parameters, then its buffers. */
const stateOf = (module: Module): [string, Variable][] => [...module.namedParameters(), ...module.namedBuffers()];

/** The module's parameters and buffers under their PyTorch names (`fc1.weight`, `bn1.running_mean`), read back from the GPU where they live. */
export async function saveCheckpoint(module: Module): Promise<Uint8Array> {
  const tensors: NamedTensor[] = [];
  for (const [name, v] of stateOf(module)) tensors.push({ name, dtype: v.dtype, shape: v.shape, data: await v.read() });
  return encodeSafetensors(tensors);
}

function nameList(names: string[]): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
}

/**
 * Loads a checkpoint into the module's parameters and buffers: all or nothing. Every check (names, shapes,
 * dtypes, finite values) runs before the first assignment, so a bad file leaves the model unchanged.
 */
export function loadCheckpoint(module: Module, bytes: FileBytes, source: string): void {
  const fail: (message: string) => never = (message) => {
    throw new CheckpointError(`checkpoint ${source}: ${message}`);
  };
  const stored = new Map(decodeSafetensors(bytes, source).tensors.map((t) => [t.name, t]));
  const params = stateOf(module);
  const wanted = new Set(params.map(([name]) => name));
  const missing = params.map(([name]) => name).filter((name) => !stored.has(name));
  if (missing.length) fail(`missing ${missing.length === 1 ? 'tensor' : 'tensors'} ${nameList(missing)}`);
  const unexpected = [...stored.keys()].filter((name) => !wanted.has(name));
  if (unexpected.length)
    fail(`unexpected ${unexpected.length === 1 ? 'tensor' : 'tensors'} ${nameList(unexpected)} (the model has no such parameter or buffer)`);

  const plan = params.map(([name, variable]) => {
    const t = stored.get(name)!;
    if (t.dtype !== variable.dtype) fail(`tensor ${name} has dtype ${FILE_DTYPE[t.dtype]}, the model expects ${FILE_DTYPE[variable.dtype]}`);
    if (fmt(t.shape) !== fmt(variable.shape)) fail(`tensor ${name} has shape ${fmt(t.shape)}, the model expects ${fmt(variable.shape)}`);
    // The same check assign() makes (finite values), made now so no parameter is assigned before it fails.
    try {
      checkHostData(`tensor ${name}`, variable.shape, variable.dtype, t.data);
    } catch (e) {
      fail((e as Error).message);
    }
    return { variable, data: t.data };
  });
  for (const { variable, data } of plan) variable.assign(data);
}
