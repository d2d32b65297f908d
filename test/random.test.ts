import { expect } from 'chai';
import { philox4x32, RandomStream } from '../src/random/philox';

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    philox4x32([0, 0, 0, 0], [0, 0], out);
    expect([...out].map((v) => v.toString(16).padStart(8, '0'))).to.deep.equal(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], out);
    expect([...out].map((v) => v.toString(16).padStart(8, '0'))).to.deep.equal(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], out);
    expect([...out].map((v) => v.toString(16).padStart(8, '0'))).to.deep.equal(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });

  it('gives the same stream for the same seed, and different streams for different seeds or stream ids', () => {
    const a = Array.from(
      { length: 10 },
      (
        (r) => () =>
          r.nextU32()
      )(new RandomStream(7)),
    );
    const b = Array.from(
      { length: 10 },
      (
        (r) => () =>
          r.nextU32()
      )(new RandomStream(7)),
    );
    const c = Array.from(
      { length: 10 },
      (
        (r) => () =>
          r.nextU32()
      )(new RandomStream(8)),
    );
    const d = Array.from(
      { length: 10 },
      (
        (r) => () =>
          r.nextU32()
      )(new RandomStream(7, 1)),
    );
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
    expect(a).to.not.deep.equal(d);
  });

  it('draws uniforms in [0, 1), normals with mean 0 and std 1, and permutations', () => {
    const r = new RandomStream(1);
    const u = Array.from({ length: 20000 }, () => r.uniform());
    expect(Math.min(...u)).to.be.at.least(0);
    expect(Math.max(...u)).to.be.below(1);
    const n = Array.from({ length: 20000 }, () => r.normal());
    const mean = n.reduce((a, b) => a + b) / n.length;
    const std = Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).to.be.below(0.03);
    expect(Math.abs(std - 1)).to.be.below(0.03);
    const p = r.permutation(1000);
    expect([...p].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p]).to.not.deep.equal(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('rejects a bad seed', () => {
    expect(() => new RandomStream(-1)).to.throw(/seed must be an integer/);
    expect(() => new RandomStream(1.5)).to.throw(/seed must be an integer/);
  });
});
