import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseIdx, parseImagesAndLabels } from '../src/train/data/idx';
import { rejection } from './helpers/errors';

// The MNIST files shipped in the repository; resolved from cwd (the repository root under npm test)
// rather than import.meta.url because the test runs from a bundle in build/test/.
const MNIST = path.resolve(process.cwd(), 'data/mnist');
const FASHION = '/usr/share/datasets/fashion-mnist';

const read = (file: string): Uint8Array => new Uint8Array(readFileSync(file));
const mnist = (file: string): Uint8Array => read(path.join(MNIST, file));

/** Builds a raw IDX file: header for `type` and `shape`, then `body` verbatim. */
function idx(type: number, shape: number[], body: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * shape.length));
  header.setUint8(2, type);
  header.setUint8(3, shape.length);
  shape.forEach((d, i) => header.setUint32(4 + 4 * i, d)); // big-endian by default
  const out = new Uint8Array(header.byteLength + body.length);
  out.set(new Uint8Array(header.buffer), 0);
  out.set(body, header.byteLength);
  return out;
}

describe('IDX reader', () => {
  describe('MNIST (data/mnist)', () => {
    it('parses the test set: 10000 x 28 x 28 images, 10000 labels, first label 7, mean pixel ~0.1325', async () => {
      const t = await parseImagesAndLabels(mnist('t10k-images-idx3-ubyte.gz'), mnist('t10k-labels-idx1-ubyte.gz'));
      expect([t.count, t.rows, t.cols]).to.deep.equal([10000, 28, 28]);
      expect(t.images.length).to.equal(10000 * 28 * 28);
      expect(t.labels.length).to.equal(10000);
      expect(t.labels[0]).to.equal(7);
      let sum = 0;
      for (const p of t.images) sum += p;
      expect(sum / t.images.length / 255).to.be.closeTo(0.1325, 0.002);
    });

    it('parses the (cut-down) training set: 22699 items, first label 5', async () => {
      const t = await parseImagesAndLabels(mnist('train-images-idx3-ubyte.gz'), mnist('train-labels-idx1-ubyte.gz'));
      expect([t.count, t.rows, t.cols]).to.deep.equal([22699, 28, 28]);
      expect(t.labels.length).to.equal(22699);
      expect(t.labels[0]).to.equal(5);
    });

    it('gives identical results for raw and gzipped bytes (gzip is detected by content)', async () => {
      const gz = mnist('t10k-images-idx3-ubyte.gz');
      const raw = new Uint8Array(gunzipSync(gz));
      const a = await parseIdx(gz, 'gz');
      const b = await parseIdx(raw, 'raw');
      expect(a.dtype).to.equal('u8');
      expect(b.dtype).to.equal('u8');
      expect(a.shape).to.deep.equal([10000, 28, 28]);
      expect(b.shape).to.deep.equal(a.shape);
      expect(
        Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)),
      ).to.equal(true);
    });
  });

  describe('byte order', () => {
    it('converts big-endian i32 to native', async () => {
      const body = new Uint8Array([0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xfe, 0x12, 0x34, 0x56, 0x78]);
      const d = await parseIdx(idx(0x0c, [3], body));
      expect(d.dtype).to.equal('i32');
      expect(d.shape).to.deep.equal([3]);
      expect(d.data).to.be.instanceOf(Int32Array);
      expect(Array.from(d.data)).to.deep.equal([1, -2, 0x12345678]);
    });

    it('converts big-endian f32 to native, in a 2-D shape', async () => {
      // 1.5 = 0x3fc00000, -2 = 0xc0000000, 0.25 = 0x3e800000, 100 = 0x42c80000
      const body = new Uint8Array([0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0, 0x3e, 0x80, 0, 0, 0x42, 0xc8, 0, 0]);
      const d = await parseIdx(idx(0x0d, [2, 2], body));
      expect(d.dtype).to.equal('f32');
      expect(d.shape).to.deep.equal([2, 2]);
      expect(d.data).to.be.instanceOf(Float32Array);
      expect(Array.from(d.data)).to.deep.equal([1.5, -2, 0.25, 100]);
    });

    it('reads gzipped i16 too', async () => {
      const d = await parseIdx(new Uint8Array(gzipSync(idx(0x0b, [2], new Uint8Array([0x01, 0x02, 0xff, 0xff])))));
      expect(d.dtype).to.equal('i16');
      expect(Array.from(d.data)).to.deep.equal([0x0102, -1]);
    });
  });

  describe('errors', () => {
    const u8 = (n: number) => new Uint8Array(n).fill(1);

    it('rejects a wrong magic number, naming the file', async () => {
      const bad = new Uint8Array([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0]);
      const e = await rejection(parseIdx(bad, 'weird.bin'));
      expect(e.message).to.match(/^weird\.bin: not an IDX file \(magic 0x12345678; expected 0x0000080N/);
    });

    it('rejects an unknown element type', async () => {
      const e = await rejection(parseIdx(idx(0x07, [1], u8(1)), 'x.idx'));
      expect(e.message).to.match(/^x\.idx: unknown IDX element type 0x07/);
    });

    it('rejects a file shorter than its header', async () => {
      const e = await rejection(parseIdx(idx(0x08, [3, 4], u8(12)).subarray(0, 9), 'short.idx'));
      expect(e.message).to.match(/^short\.idx: .*shorter than its 12-byte IDX header/);
      const empty = await rejection(parseIdx(new Uint8Array(0), 'empty.idx'));
      expect(empty.message).to.match(/^empty\.idx: .*0 bytes/);
    });

    it('rejects truncated raw data, saying how much the header promised', async () => {
      const raw = new Uint8Array(gunzipSync(mnist('t10k-images-idx3-ubyte.gz')));
      const e = await rejection(parseIdx(raw.subarray(0, 16 + 1234), 't10k-images-idx3-ubyte'));
      expect(e.message).to.match(
        /^t10k-images-idx3-ubyte: header says 10000 x 28 x 28 u8 \(7840000 bytes of data\) but the file has 1234 bytes of data — truncated\?$/,
      );
    });

    it('rejects a truncated gzip stream', async () => {
      const gz = mnist('t10k-labels-idx1-ubyte.gz');
      const e = await rejection(parseIdx(gz.subarray(0, gz.length - 100), 't10k-labels-idx1-ubyte.gz'));
      expect(e.message).to.match(/^t10k-labels-idx1-ubyte\.gz: corrupt or truncated gzip stream/);
    });

    it('rejects a corrupt gzip stream', async () => {
      const gz = mnist('t10k-labels-idx1-ubyte.gz').slice();
      for (let i = 20; i < 60; i++) gz[i] ^= 0xa5; // scramble the deflate data just after the gzip header
      const e = await rejection(parseIdx(gz, 'scrambled.gz'));
      expect(e.message).to.match(/^scrambled\.gz: corrupt or truncated gzip stream/);
    });

    it('rejects trailing bytes after the data', async () => {
      const e = await rejection(parseIdx(idx(0x08, [2, 3], u8(6 + 5)), 'long.idx'));
      expect(e.message).to.match(/^long\.idx: header says 2 x 3 u8 \(6 bytes of data\) but the file has 11 bytes.*5 unexpected trailing bytes/);
    });

    it('rejects images and labels with different counts', async () => {
      const e = await rejection(parseImagesAndLabels(mnist('train-images-idx3-ubyte.gz'), mnist('t10k-labels-idx1-ubyte.gz')));
      expect(e.message).to.equal('images has 22699 items but labels has 10000');
    });

    it('rejects images or labels with the wrong shape or type', async () => {
      const labels = idx(0x08, [2], new Uint8Array([0, 1]));
      const flat = await rejection(parseImagesAndLabels(idx(0x08, [2, 4], u8(8)), labels, { images: 'img.idx', labels: 'lab.idx' }));
      expect(flat.message).to.match(/^img\.idx: expected a 3-D u8 IDX.*got 2-D u8 \(2 x 4\)/);
      const wide = await rejection(parseImagesAndLabels(idx(0x08, [2, 2, 2], u8(8)), idx(0x0c, [2], u8(8))));
      expect(wide.message).to.match(/^labels: expected a 1-D u8 IDX.*got 1-D i32/);
    });

    it('rejects a label out of range, naming its index', async () => {
      const images = idx(0x08, [4, 2, 2], u8(16));
      const labels = idx(0x08, [4], new Uint8Array([0, 9, 10, 3]));
      const e = await rejection(parseImagesAndLabels(images, labels));
      expect(e.message).to.match(/^labels: label 10 at index 2 is out of range for 10 classes/);
      // With more classes the same labels are fine, and with fewer the first offender moves.
      expect((await parseImagesAndLabels(images, labels, undefined, { classes: 11 })).count).to.equal(4);
      const few = await rejection(parseImagesAndLabels(images, labels, undefined, { classes: 5 }));
      expect(few.message).to.match(/label 9 at index 1 is out of range for 5 classes/);
    });
  });

  describe('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
    it('parses the full train (60000) and test (10000) sets', async function () {
      if (!existsSync(FASHION)) this.skip();
      const files = readdirSync(FASHION);
      // Find files by role rather than hard-coding names, in case the package renames them.
      const find = (re: RegExp): string => {
        const f = files.find((n) => re.test(n));
        if (!f) throw new Error(`${FASHION} has no file matching ${re} (found: ${files.join(', ')})`);
        return path.join(FASHION, f);
      };
      for (const [set, n] of [
        ['train', 60000],
        ['t10k', 10000],
      ] as const) {
        const imgFile = find(new RegExp(`^${set}-images`));
        const labFile = find(new RegExp(`^${set}-labels`));
        const t = await parseImagesAndLabels(read(imgFile), read(labFile), { images: imgFile, labels: labFile });
        expect([t.count, t.rows, t.cols]).to.deep.equal([n, 28, 28]);
        expect(t.labels.length).to.equal(n);
        expect(t.labels.reduce((a, b) => Math.max(a, b), 0)).to.equal(9);
      }
    });
  });
});
