import type { ParsedOptions } from '../args';
import { checkManifest, downloadManifest, type Manifest } from '../download';
import { readBytes } from '../files';
import { terminalColumns } from '../progress';

/** PyTorch's torchvision mirror of the MNIST files (yann.lecun.com often refuses downloads). */
export const MNIST_MIRROR = 'https://ossci-datasets.s3.amazonaws.com/mnist/';

/** The four official MNIST files, their published md5s and their sizes. */
export const MNIST_MANIFEST: Manifest = {
  'train-images-idx3-ubyte.gz': { md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873', bytes: 9_912_422 },
  'train-labels-idx1-ubyte.gz': { md5: 'd53e105ee54ea40749a09fcbcd1e9432', bytes: 28_881 },
  't10k-images-idx3-ubyte.gz': { md5: '9fb629c4189551a2d022fa330f9573f3', bytes: 1_648_877 },
  't10k-labels-idx1-ubyte.gz': { md5: 'ec29112dd5afa0611ce80d1b7f02629c', bytes: 4_542 },
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

/** A progress line on stderr while a file arrives: redrawn in place on a terminal, every few seconds in a log. */
class DownloadProgress {
  private last = 0;
  private shown = false;
  private readonly tty = terminalColumns() !== null;

  update = (file: string, received: number, total: number | null): void => {
    const now = performance.now();
    if (now - this.last < (this.tty ? 200 : 5000)) return;
    this.last = now;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const line = `${file}: ${mb(received)}${total !== null ? ` of ${mb(total)}` : ''} MB`;
    if (this.tty) {
      process.stderr.write(`\r${line}\x1b[K`);
      this.shown = true;
    } else process.stderr.write(`${line}\n`);
  };

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

/** `kiln data mnist --download DIR [--mirror URL] [--manifest FILE]`: fetch and md5-check MNIST. */
export async function dataMnistCommand(options: ParsedOptions): Promise<void> {
  const dir = String(options['download']);
  const mirror = String(options['mirror'] ?? MNIST_MIRROR);
  const manifest = options['manifest'] !== undefined ? await readManifest(String(options['manifest'])) : MNIST_MANIFEST;
  const progress = new DownloadProgress();
  await downloadManifest(manifest, mirror, dir, {
    log: (line) => {
      progress.clear();
      console.log(line);
    },
    progress: progress.update,
    idleSeconds: Number(options['timeout']),
    retries: Number(options['retries']),
  });
}
