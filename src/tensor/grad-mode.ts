// Whether ops record what autograd needs: off inside kiln.noGrad(() => ...), as torch.no_grad.
let disabled = 0;

export function gradEnabled(): boolean {
  return disabled === 0;
}

/**
 * Runs `fn` with gradients off: tensors made inside do not require grad, and in-place updates of
 * leaves (`w.sub_(w.grad.mul(lr))`) are allowed, as in `with torch.no_grad():`. `fn` must be
 * synchronous: ops only record, so there is nothing to await inside.
 */
export function noGrad<T>(fn: () => T): T {
  disabled++;
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError('noGrad: the function must be synchronous (record the ops inside, await their values after)');
    return result;
  } finally {
    disabled--;
  }
}
