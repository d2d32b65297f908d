// A character vocabulary, as nanoGPT's shakespeare_char prepare.py builds it: the distinct characters
// of the text, sorted by code point, each a token id.
export class CharVocab {
  readonly chars: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(chars: readonly string[]) {
    if (chars.length === 0) throw new RangeError('vocabulary: no characters');
    if (new Set(chars).size !== chars.length) throw new RangeError('vocabulary: a character is listed twice');
    this.chars = [...chars];
    this.ids = new Map(chars.map((c, i) => [c, i]));
  }

  /** The distinct characters of `text` (code points, so a character outside the BMP is one token). */
  static fromText(text: string): CharVocab {
    return new CharVocab([...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  get size(): number {
    return this.chars.length;
  }

  encode(text: string): Int32Array {
    const chars = Array.from(text);
    const out = new Int32Array(chars.length);
    chars.forEach((c, i) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new RangeError(`vocabulary: ${JSON.stringify(c)} (at character ${i}) is not in the vocabulary of ${this.size} characters`);
      out[i] = id;
    });
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]!];
      if (c === undefined) throw new RangeError(`vocabulary: token ${ids[i]} is outside the ${this.size} characters`);
      s += c;
    }
    return s;
  }
}
