// A character model's checkpoint: one safetensors file with the GPT's parameters under nanoGPT's
// state_dict names (lm_head.weight included, the same values as transformer.wte.weight, so that
// nanoGPT's GPT loads it with strict=True) and, in the metadata entry `kiln.charlm`, the model's shape
// and its vocabulary (what nanoGPT keeps in meta.pkl).
import { CheckpointError, decodeSafetensors, encodeSafetensors, loadCheckpoint, type FileBytes, type NamedTensor } from './checkpoint';
import { CharVocab } from './data/char-vocab';
import { GPT, type GptConfig } from './nn/gpt';

export const CHARLM_KEY = 'kiln.charlm';

interface CharLmMeta {
  format: 'kiln-charlm/1';
  config: Required<GptConfig>;
  /** The characters, in token order. */
  vocab: string[];
  /** What trained it, as the caller describes it (iterations, losses). */
  run?: Record<string, string | number>;
}

export async function saveCharLm(model: GPT, vocab: CharVocab, run: Record<string, string | number> = {}): Promise<Uint8Array> {
  const tensors: NamedTensor[] = [];
  for (const [name, v] of model.stateDict()) tensors.push({ name, dtype: v.dtype, shape: v.shape, data: await v.read() });
  const meta: CharLmMeta = { format: 'kiln-charlm/1', config: model.config, vocab: [...vocab.chars], run };
  return encodeSafetensors(tensors, { [CHARLM_KEY]: JSON.stringify(meta) });
}

export function loadCharLm(bytes: FileBytes, source: string): { model: GPT; vocab: CharVocab; run: Record<string, string | number> } {
  const decoded = decodeSafetensors(bytes, source);
  const text = decoded.metadata[CHARLM_KEY];
  if (text === undefined) throw new CheckpointError(`checkpoint ${source}: no '${CHARLM_KEY}' metadata: not a character model saved by kiln train charlm`);
  const meta = JSON.parse(text) as Partial<CharLmMeta>;
  if (meta.format !== 'kiln-charlm/1' || !meta.config || !Array.isArray(meta.vocab)) {
    throw new CheckpointError(`checkpoint ${source}: '${CHARLM_KEY}' is not a kiln-charlm/1 description`);
  }
  const vocab = new CharVocab(meta.vocab);
  if (vocab.size !== meta.config.vocabSize)
    throw new CheckpointError(`checkpoint ${source}: ${vocab.size} characters for a model of ${meta.config.vocabSize} tokens`);
  const model = new GPT(meta.config);
  // lm_head.weight is the token embedding again (weight tying): load the rest as the model names it.
  const params = decoded.tensors.filter((t) => t.name !== 'lm_head.weight');
  loadCheckpoint(model, encodeSafetensors(params), source);
  return { model, vocab, run: meta.run ?? {} };
}
