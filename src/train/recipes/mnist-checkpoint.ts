// Which MNIST net a checkpoint holds, read from its conv1.weight shape ([32,1,3,3] full, [8,1,3,3]
// narrow), so loading a file picks the matching net instead of failing on the first shape mismatch.
import { CheckpointError, decodeSafetensors, type FileBytes } from '../checkpoint';
import { MNIST_NETS, type MnistNetName } from './mnist';

export function netOfCheckpoint(bytes: FileBytes, source: string): MnistNetName {
  const conv1 = decodeSafetensors(bytes, source).tensors.find((t) => t.name === 'conv1.weight');
  if (!conv1) throw new CheckpointError(`checkpoint ${source}: no tensor conv1.weight, so this is not a checkpoint of the MNIST net`);
  const names = Object.keys(MNIST_NETS) as MnistNetName[];
  const net = names.find((n) => conv1.shape.length === 4 && conv1.shape[0] === MNIST_NETS[n].conv1);
  if (!net) {
    const known = names.map((n) => `${n}: [${MNIST_NETS[n].conv1},1,3,3]`).join(', ');
    throw new CheckpointError(`checkpoint ${source}: conv1.weight has shape [${conv1.shape.join(',')}], which is neither MNIST net (${known})`);
  }
  return net;
}
