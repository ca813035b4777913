/**
 * Every packet decoder the daemon feeds with bytes from the network or the kernel returns a verdict for
 * random and mutated input and never throws (test/fuzz/packet-fuzz.ts). `npm run fuzz` runs a million
 * cases (FUZZ_CASES, FUZZ_SEED to replay).
 */
import { describe, expect, it } from 'vitest';
import { exercise, input, rng } from './packet-fuzz.js';

describe('packet decoders under fuzzing', () => {
  const cases = Number(process.env.FUZZ_CASES ?? 20_000);
  const seed = Number(process.env.FUZZ_SEED ?? 0x7e57);
  it(`${cases} random and mutated inputs (seed ${seed}): no exception escapes`, () => {
    const r = rng(seed);
    let n = 0;
    for (; n < cases; n++) {
      const b = input(r);
      try {
        exercise(b, r);
      } catch (e) {
        throw new Error(`case ${n} (${b.toString('hex')}): ${(e as Error).stack}`);
      }
    }
    expect(n).toBe(cases);
  });
});
