// Reader for the IDX format used by MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).
//
// Platform-neutral on purpose: the same code loads data in Node and in the browser, so it uses only
// web-standard APIs (DecompressionStream, DataView) and takes bytes rather than file paths.
//
// Layout: 0x00 0x00 <type byte> <dimension count>, then one big-endian u32 per dimension, then the
// elements in row-major order, big-endian.

export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

export type IdxData = {
  dtype: IdxDtype;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
};

// The type byte is the only thing that says how wide and how signed each element is.
const TYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'u8', bytes: 1 },
  0x09: { dtype: 'i8', bytes: 1 },
  0x0b: { dtype: 'i16', bytes: 2 },
  0x0c: { dtype: 'i32', bytes: 4 },
  0x0d: { dtype: 'f32', bytes: 4 },
  0x0e: { dtype: 'f64', bytes: 8 },
};

const hex = (n: number, digits: number): string => '0x' + n.toString(16).padStart(digits, '0');

/** True when the bytes start with the gzip magic; we sniff content because names lie (.gz or not). */
function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips with the web-standard DecompressionStream, so no zlib/Buffer is needed in Node. */
async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  const input = new ReadableStream<BufferSource>({
    start(controller) {
      // A copy: the stream wants an ArrayBuffer-backed chunk (not a SharedArrayBuffer), and the
      // compressed input is small next to what it expands to.
      controller.enqueue(bytes.slice());
      controller.close();
    },
  });
  // pipeThrough handles errors on the writable side itself, so a corrupt stream surfaces only as a
  // rejected read() below and never as an unhandled rejection.
  const reader = input.pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`${name}: corrupt or truncated gzip stream (${why})`);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Parses an IDX file, gzipped or raw. `name` only labels error messages, so say which file it is.
 * Multi-byte elements are converted from big-endian to native typed arrays; the result owns its
 * buffer (it never aliases `bytes`).
 */
export async function parseIdx(bytes: Uint8Array, name = 'IDX file'): Promise<IdxData> {
  if (isGzip(bytes)) bytes = await gunzip(bytes, name);

  if (bytes.length < 4) {
    throw new Error(`${name}: file is ${bytes.length} bytes, shorter than the 4-byte IDX magic — empty or truncated?`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `${name}: not an IDX file (magic ${hex(magic, 8)}; expected 0x0000080N style magic with two leading zero bytes)`,
    );
  }
  const type = TYPES[bytes[2]];
  if (!type) {
    throw new Error(`${name}: unknown IDX element type ${hex(bytes[2], 2)} (magic ${hex(magic, 8)}; known: 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64)`);
  }
  const ndim = bytes[3];
  if (ndim === 0) throw new Error(`${name}: IDX header has 0 dimensions`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new Error(
      `${name}: file is ${bytes.length} bytes, shorter than its ${headerBytes}-byte IDX header (${ndim} dimensions) — truncated?`,
    );
  }

  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i));
  // Plain float arithmetic: a bogus header can claim more than 2^53 bytes, and that must still
  // compare as "too big" rather than wrap.
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * type.bytes;
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    const what = `header says ${shape.join(' x ')} ${type.dtype} (${expected} bytes of data) but the file has ${actual} bytes of data`;
    throw new Error(
      actual < expected
        ? `${name}: ${what} — truncated?`
        : `${name}: ${what} — ${actual - expected} unexpected trailing bytes`,
    );
  }

  return { dtype: type.dtype, shape, data: readElements(view, headerBytes, count, type.dtype) };
}

/** Copies `count` big-endian elements starting at `offset` into a fresh native-endian typed array. */
function readElements(view: DataView, offset: number, count: number, dtype: IdxDtype): IdxData['data'] {
  // Byte types need no swapping; a copy keeps the result independent of the caller's buffer.
  if (dtype === 'u8') return new Uint8Array(view.buffer, view.byteOffset + offset, count).slice();
  if (dtype === 'i8') return new Int8Array(view.buffer, view.byteOffset + offset, count).slice();
  // DataView getters default to big-endian, which is exactly IDX's byte order.
  switch (dtype) {
    case 'i16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i);
      return out;
    }
    case 'i32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i);
      return out;
    }
    case 'f32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i);
      return out;
    }
    case 'f64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i);
      return out;
    }
  }
}

const summary = (d: IdxData): string => `${d.shape.length}-D ${d.dtype} (${d.shape.join(' x ')})`;

/**
 * Parses an image file and its label file (MNIST layout: images N x rows x cols u8, labels N u8)
 * and checks that they belong together, so mismatched or damaged downloads fail here and not as a
 * silently wrong training run.
 */
export async function parseImagesAndLabels(
  images: Uint8Array,
  labels: Uint8Array,
  names = { images: 'images', labels: 'labels' },
  { classes = 10 }: { classes?: number } = {},
): Promise<{ images: Uint8Array; labels: Uint8Array; count: number; rows: number; cols: number }> {
  // Promise.all observes both promises, so if both files are bad there is no unhandled rejection.
  const [img, lab] = await Promise.all([parseIdx(images, names.images), parseIdx(labels, names.labels)]);

  if (img.dtype !== 'u8' || img.shape.length !== 3 || !(img.data instanceof Uint8Array)) {
    throw new Error(`${names.images}: expected a 3-D u8 IDX of images (count x rows x cols) but got ${summary(img)}`);
  }
  if (lab.dtype !== 'u8' || lab.shape.length !== 1 || !(lab.data instanceof Uint8Array)) {
    throw new Error(`${names.labels}: expected a 1-D u8 IDX of labels but got ${summary(lab)}`);
  }
  const [count, rows, cols] = img.shape;
  if (lab.shape[0] !== count) {
    throw new Error(`${names.images} has ${count} items but ${names.labels} has ${lab.shape[0]}`);
  }
  const labelData = lab.data;
  const bad = labelData.findIndex((l) => l >= classes);
  if (bad >= 0) {
    throw new Error(
      `${names.labels}: label ${labelData[bad]} at index ${bad} is out of range for ${classes} classes (expected 0..${classes - 1})`,
    );
  }
  return { images: img.data, labels: labelData, count, rows, cols };
}
