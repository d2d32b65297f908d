// `kiln.functional` (as torch.nn.functional): the functions written with PyTorch's conventions
// (src/tensor/functional.ts) and those derived from the op registry (src/tensor/derived-methods.ts).
import { derivedFunctions } from './derived-methods';
import * as own from './functional';

export const functional = Object.freeze({ ...own, ...derivedFunctions });
