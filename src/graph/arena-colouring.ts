// Which arena each intermediate tensor lives in (the memory plan's first half; offsets come after).
// Tensors that one dispatch writes and binds together must be in different arenas (see
// memory-plan.ts): a graph colouring. Among the proper colourings we want one whose arenas' peaks
// (the most bytes live in an arena at once) add up to the least, since each arena must be at least
// as large as its own peak. Greedy colouring gets close; Kempe-chain swaps then move groups of tensors
// between two arenas without breaking the colouring, as long as the sum of peaks drops.

/** One tensor: live over the schedule steps first..last (both included), `bytes` as placed (aligned). */
export interface ColouringItem {
  first: number;
  last: number;
  bytes: number;
}

export interface ColouringProblem {
  items: readonly ColouringItem[];
  /** neighbours[i]: the items that may not share item i's arena. */
  neighbours: readonly (readonly number[])[];
  /** Schedule length: every lifetime lies within 0..steps. */
  steps: number;
  /** No arena's peak may pass this (the device's maxBufferSize). */
  maxArenaBytes: number;
}

/** Bytes live in one arena at each step, with what the swaps ask of it in O(1). */
class Profile {
  readonly live: Float64Array;
  peak = 0;
  /** prefixMax[t]: the most live at steps 0..t-1; suffixMax[t]: at steps t..end. */
  private prefixMax: Float64Array;
  private suffixMax: Float64Array;
  /** atPeak[t]: how many of steps 0..t-1 are at the peak. */
  private atPeak: Int32Array;

  constructor(steps: number) {
    this.live = new Float64Array(steps + 1);
    this.prefixMax = new Float64Array(steps + 2);
    this.suffixMax = new Float64Array(steps + 2);
    this.atPeak = new Int32Array(steps + 2);
  }

  /** The most bytes live at any step of first..last. */
  most(first: number, last: number): number {
    let most = 0;
    for (let t = first; t <= last; t++) most = Math.max(most, this.live[t]!);
    return most;
  }

  add(item: ColouringItem, sign: 1 | -1): void {
    for (let t = item.first; t <= item.last; t++) this.live[t]! += sign * item.bytes;
  }

  /** Recomputes the peak and the summaries after live changed. */
  refresh(): void {
    const n = this.live.length;
    for (let t = 0; t < n; t++) this.prefixMax[t + 1] = Math.max(this.prefixMax[t]!, this.live[t]!);
    for (let t = n - 1; t >= 0; t--) this.suffixMax[t] = Math.max(this.suffixMax[t + 1]!, this.live[t]!);
    this.peak = this.prefixMax[n]!;
    for (let t = 0; t < n; t++) this.atPeak[t + 1] = this.atPeak[t]! + (this.live[t] === this.peak ? 1 : 0);
  }

  /** The most live outside first..last. */
  mostOutside(first: number, last: number): number {
    return Math.max(this.prefixMax[first]!, this.suffixMax[last + 1]!);
  }

  touchesPeak(item: ColouringItem): boolean {
    return this.atPeak[item.last + 1]! > this.atPeak[item.first]!;
  }
}

/**
 * Greedy colouring, items taken in `order`: each takes, among the arenas none of its neighbours
 * occupies, the one whose peak grows least. A new arena opens only when every existing one conflicts
 * or would pass maxArenaBytes. Then Kempe-chain swaps while they lower the sum of peaks.
 */
export function colourArenas(problem: ColouringProblem, order: readonly number[]): number[] {
  const { items, neighbours, steps, maxArenaBytes } = problem;
  const colour = new Array<number>(items.length).fill(-1);
  const profiles: Profile[] = [];
  for (const i of order) {
    const item = items[i]!;
    const taken = new Set(neighbours[i]!.map((n) => colour[n]!));
    let best = -1;
    let bestGrowth = Infinity;
    profiles.forEach((profile, c) => {
      if (taken.has(c)) return;
      const most = profile.most(item.first, item.last);
      if (most + item.bytes > maxArenaBytes) return;
      const growth = Math.max(0, most + item.bytes - profile.peak);
      if (growth < bestGrowth) {
        best = c;
        bestGrowth = growth;
      }
    });
    if (best < 0) {
      best = profiles.length;
      profiles.push(new Profile(steps));
    }
    profiles[best]!.add(item, 1);
    profiles[best]!.peak = Math.max(profiles[best]!.peak, profiles[best]!.most(item.first, item.last));
    colour[i] = best;
  }
  for (const profile of profiles) profile.refresh();
  improveByKempeSwaps(problem, colour, profiles, order);
  return colour;
}

/** Rounds of swaps, and a bound on the work (items and steps scanned), so planning stays a small part of compiling. */
const MAX_ROUNDS = 16;
const WORK_BUDGET = 2e7;

/**
 * For an item in arena a and another arena b, its Kempe chain is the connected set of items reachable
 * through neighbours coloured a or b. Swapping a and b over the chain keeps the colouring proper; the
 * swap is kept when peak(a) + peak(b) drops and neither passes maxArenaBytes. Items are visited in
 * `order`, and only those live at a peak step of their arena start a chain: no other can lower it.
 */
function improveByKempeSwaps(problem: ColouringProblem, colour: number[], profiles: Profile[], order: readonly number[]): void {
  const { items, maxArenaBytes } = problem;
  const chains = new KempeChains(problem, colour);
  const moved = new Float64Array(problem.steps + 2); // bytes moving from a to b, as differences; zero between uses
  let work = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let improved = false;
    const rejected = new Set<number[]>();
    for (const i of order) {
      for (let b = 0; b < profiles.length; b++) {
        const a = colour[i]!;
        const pa = profiles[a]!;
        const pb = profiles[b]!;
        if (a === b || !pa.touchesPeak(items[i]!)) continue;
        const chain = chains.of(i, a, b);
        if (rejected.has(chain) || chains.isWholePair(chain, a, b)) continue;
        let first = Infinity;
        let last = -1;
        for (const j of chain) {
          first = Math.min(first, items[j]!.first);
          last = Math.max(last, items[j]!.last);
        }
        work += chain.length + 2 * (last - first + 1);
        if (work > WORK_BUDGET) return;
        // The new peaks: outside the chain's span nothing moves; inside, move the chain's bytes.
        for (const j of chain) {
          const item = items[j]!;
          const bytes = colour[j] === a ? item.bytes : -item.bytes;
          moved[item.first]! += bytes;
          moved[item.last + 1]! -= bytes;
        }
        let moving = 0;
        let peakA = pa.mostOutside(first, last);
        let peakB = pb.mostOutside(first, last);
        for (let t = first; t <= last; t++) {
          moving += moved[t]!;
          moved[t] = 0;
          peakA = Math.max(peakA, pa.live[t]! - moving);
          peakB = Math.max(peakB, pb.live[t]! + moving);
        }
        moved[last + 1] = 0;
        if (peakA + peakB < pa.peak + pb.peak && peakA <= maxArenaBytes && peakB <= maxArenaBytes) {
          for (const j of chain) {
            const [from, to] = colour[j] === a ? [pa, pb] : [pb, pa];
            from.add(items[j]!, -1);
            to.add(items[j]!, 1);
            colour[j] = colour[j] === a ? b : a;
          }
          pa.refresh();
          pb.refresh();
          chains.forget(a, b);
          rejected.clear();
          improved = true;
        } else {
          rejected.add(chain);
        }
      }
    }
    if (!improved) return;
  }
}

/**
 * The Kempe chains of each pair of arenas, computed on first use. A swap over a chain of (a, b)
 * leaves the chains of (a, b) as they were but changes those of every other pair with a or b.
 */
class KempeChains {
  private readonly byPair = new Map<string, { chainOf: Int32Array; chains: number[][]; members: number }>();

  constructor(
    private readonly problem: ColouringProblem,
    private readonly colour: readonly number[],
  ) {}

  of(item: number, a: number, b: number): number[] {
    const pair = this.pair(a, b);
    return pair.chains[pair.chainOf[item]!]!;
  }

  /** A chain holding every item of both arenas: swapping it only renames them. */
  isWholePair(chain: readonly number[], a: number, b: number): boolean {
    return chain.length === this.pair(a, b).members;
  }

  forget(a: number, b: number): void {
    for (const key of [...this.byPair.keys()]) {
      const [x, y] = key.split(',').map(Number);
      if ((x === a || x === b || y === a || y === b) && !((x === a && y === b) || (x === b && y === a))) this.byPair.delete(key);
    }
  }

  private pair(a: number, b: number) {
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    let pair = this.byPair.get(key);
    if (!pair) {
      pair = this.components(a, b);
      this.byPair.set(key, pair);
    }
    return pair;
  }

  private components(a: number, b: number) {
    const { neighbours } = this.problem;
    const colour = this.colour;
    const chainOf = new Int32Array(colour.length).fill(-1);
    const chains: number[][] = [];
    let members = 0;
    colour.forEach((c, start) => {
      if ((c !== a && c !== b) || chainOf[start]! >= 0) return;
      const chain = [start];
      chainOf[start] = chains.length;
      for (let k = 0; k < chain.length; k++) {
        for (const n of neighbours[chain[k]!]!) {
          if (chainOf[n]! < 0 && (colour[n] === a || colour[n] === b)) {
            chainOf[n] = chains.length;
            chain.push(n);
          }
        }
      }
      members += chain.length;
      chains.push(chain);
    });
    return { chainOf, chains, members };
  }
}
