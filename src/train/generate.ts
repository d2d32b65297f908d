// Text generation with a trained GPT, as nanoGPT's sample.py: each new token is drawn from the model's
// distribution at the last position, with a temperature and an optional top-k cut. The model runs on
// the GPU over a fixed window of blockSize tokens (one compiled program for the whole generation):
// while the context is shorter than the window it sits at the window's start, and causal attention
// keeps the padding after it from reaching the position read; once longer, the window is its last
// blockSize tokens (nanoGPT's crop). This recomputes the window per token rather than keeping a KV
// cache: at a character model's block of 64-256 a window's forward pass is a few small kernels, and
// one program with no cache state is simple to get right. The draw itself, over the one row of logits
// read back, is on the CPU.
import type { Device } from '../device/device';
import { Graph } from '../graph/graph';
import { Program } from '../graph/program';
import type { Tensor } from '../graph/tensor';
import { RandomStream } from '../random/philox';
import type { GPT } from './nn/gpt';

export interface GenerateOptions {
  /** New tokens to draw. */
  tokens: number;
  /** Divides the logits: below 1 sharper, above 1 flatter (default 1). */
  temperature?: number;
  /** Draw only among the k most likely tokens (default: all). */
  topK?: number;
  seed?: number;
}

/** The stream id of generation's draws (beside src/random/philox.ts's STREAM ids). */
const SAMPLE_STREAM = 8;

export class Generator {
  private readonly program: Promise<Program>;
  private readonly logits: Tensor;
  private readonly window: number;

  constructor(
    device: Device,
    private readonly model: GPT,
  ) {
    this.window = model.config.blockSize;
    const g = new Graph();
    const context = g.input('context', [1, this.window], 'i32');
    this.logits = model.forward(context, { training: false });
    this.program = Program.compile(device, g, { outputs: [this.logits], label: 'generate' });
  }

  /** The prompt's tokens followed by `tokens` drawn ones. */
  async generate(prompt: ArrayLike<number>, options: GenerateOptions): Promise<Int32Array> {
    const { tokens, temperature = 1, topK, seed = 0 } = options;
    if (!Number.isInteger(tokens) || tokens < 0) throw new RangeError(`generate: tokens must be a whole number, got ${tokens}`);
    if (!(temperature > 0)) throw new RangeError(`generate: temperature must be positive, got ${temperature}`);
    const vocab = this.model.config.vocabSize;
    if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) throw new RangeError(`generate: topK must be a positive integer, got ${topK}`);
    if (prompt.length === 0) throw new RangeError('generate: the prompt needs at least one token');
    for (let i = 0; i < prompt.length; i++) {
      if (!(prompt[i]! >= 0 && prompt[i]! < vocab)) throw new RangeError(`generate: prompt token ${prompt[i]} at ${i} is outside the vocabulary of ${vocab}`);
    }
    const program = await this.program;
    const random = new RandomStream(seed, SAMPLE_STREAM);
    const out = Array.from(prompt);
    const context = new Int32Array(this.window);
    for (let n = 0; n < tokens; n++) {
      const start = Math.max(0, out.length - this.window);
      const used = out.length - start;
      context.fill(0);
      context.set(out.slice(start), 0);
      program.run({ context });
      const all = await program.read(this.logits);
      const row = all.subarray((used - 1) * vocab, used * vocab);
      out.push(draw(row, temperature, topK ?? vocab, random));
    }
    return Int32Array.from(out);
  }
}

/** A token from softmax(logits / temperature) over the top k, in float64. */
function draw(logits: ArrayLike<number>, temperature: number, k: number, random: RandomStream): number {
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const kept = order.slice(0, Math.min(k, order.length));
  const top = logits[kept[0]!]! / temperature;
  const weights = kept.map((i) => Math.exp(logits[i]! / temperature - top));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = random.uniform() * total;
  for (let j = 0; j < kept.length; j++) {
    u -= weights[j]!;
    if (u < 0) return kept[j]!;
  }
  return kept[kept.length - 1]!;
}
