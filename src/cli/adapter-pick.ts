// How `--adapter auto` chooses between the two software adapters when there is no GPU: each command
// names the one that runs its work fastest. A command that finds, once it knows its shapes, that the
// work cannot run there (llvmpipe allows 128 MiB per binding) throws AdapterFallback, and the command
// line reruns it on the other adapter.
import type { SoftwareAdapter } from '../device/node';

export interface AdapterPick {
  prefer: SoftwareAdapter;
  /** Completes "chosen because ...", printed in the first line of output. */
  why: string;
}

export class AdapterFallback extends Error {
  override name = 'AdapterFallback';

  constructor(
    readonly prefer: SoftwareAdapter,
    readonly why: string,
  ) {
    super(`this work needs ${prefer}: ${why}`);
  }
}
