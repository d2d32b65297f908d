import type { ParsedOptions } from '../args';
import { checkManifest, downloadManifest, type Manifest } from '../download';
import { readBytes } from '../files';

/** PyTorch's torchvision mirror of the MNIST files (yann.lecun.com often refuses downloads). */
export const MNIST_MIRROR = 'https://ossci-datasets.s3.amazonaws.com/mnist/';

/** The four official MNIST files and their published md5s. */
export const MNIST_MANIFEST: Manifest = {
  'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
  'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
  't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
  't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
};

async function readManifest(path: string): Promise<Manifest> {
  const text = new TextDecoder().decode(await readBytes(path));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`manifest ${path}: not valid JSON (${(e as Error).message})`);
  }
  return checkManifest(json, path);
}

/** `kiln data mnist --download DIR [--mirror URL] [--manifest FILE]`: fetch and md5-check MNIST. */
export async function dataMnistCommand(options: ParsedOptions): Promise<void> {
  const dir = String(options['download']);
  const mirror = String(options['mirror'] ?? MNIST_MIRROR);
  const manifest = options['manifest'] !== undefined ? await readManifest(String(options['manifest'])) : MNIST_MANIFEST;
  await downloadManifest(manifest, mirror, dir, (line) => console.log(line));
}
