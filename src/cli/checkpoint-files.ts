// Checkpoint files on disk for Node: the safetensors bytes of src/train/checkpoint.ts, written
// atomically so a crash mid-save never leaves a half-written checkpoint in place of a good one.
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint';
import type { Module } from '../train/nn/module';
import { readBytes, writeFileAtomic } from './files';

/** Saves the module's parameters to `path` (safetensors, PyTorch names). */
export async function saveCheckpointFile(module: Module, path: string): Promise<void> {
  await writeFileAtomic(path, await saveCheckpoint(module));
}

/** Loads `path` into the module's parameters, all or nothing; errors name the file and the tensor. */
export async function loadCheckpointFile(module: Module, path: string): Promise<void> {
  loadCheckpoint(module, await readBytes(path), path);
}
