// kiln sample: text from a character model saved by kiln train charlm --save.
import type { Device } from '../../device/device';
import { loadCharLm } from '../../train/charlm-checkpoint';
import { Generator } from '../../train/generate';
import type { ParsedOptions } from '../args';
import { readBytes } from '../files';

export async function sampleCommand(device: Device, options: ParsedOptions): Promise<void> {
  const path = String(options['load']);
  const { model, vocab, run } = loadCharLm(await readBytes(path), path);
  const prompt = String(options['prompt'] ?? '\n');
  const ids = vocab.encode(prompt);
  const described = Object.entries(run)
    .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`)
    .join(', ');
  console.error(
    `${path}: GPT ${model.config.nLayer} layers, ${model.config.nEmbd} wide, block ${model.config.blockSize}, ${vocab.size} characters${described ? ` (${described})` : ''}`,
  );
  const out = await new Generator(device, model).generate(ids, {
    tokens: Number(options['tokens']),
    temperature: Number(options['temperature']),
    ...(options['top-k'] !== undefined ? { topK: Number(options['top-k']) } : {}),
    seed: Number(options['seed'] ?? 0),
  });
  console.log(vocab.decode(out));
}
