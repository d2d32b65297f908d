// Catching the error a call must raise, so tests can check its message.
import { expect } from 'chai';

/** The Error `f` throws; fails the test if it throws nothing. */
export function throwsError(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(Error);
    return e as Error;
  }
  throw new Error('expected an exception, but none was thrown');
}

/** The Error `p` rejects with; fails the test if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(Error);
    return e as Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
