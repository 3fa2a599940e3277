/**
 * Declared sampling of a session, in engine units.
 *
 * On chain a session declares `temperature` (thousandths, 0 = greedy), `topK` (0 = off) and `topP`
 * (basis points, 0 or 10000 = off); `samplingFromConfig` turns those into the floats node-llama-cpp
 * takes. Miners generate with exactly this window (node-llama-cpp's sampler chain: top-k, then top-p
 * over the renormalised top-k set at temperature 1, then temperature, then a seeded draw), and the
 * replay scorer (replay.ts) checks outputs against the same window.
 */

export interface SamplingParams {
  /** 0 = greedy (argmax); otherwise the softmax temperature, e.g. 1.0. */
  temperature: number;
  /** Keep only the `topK` most likely tokens; 0 = off. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches `topP`; 1 = off. */
  topP: number;
}

export const GREEDY: Readonly<SamplingParams> = Object.freeze({ temperature: 0, topK: 0, topP: 1 });

export const isGreedy = (s: SamplingParams): boolean => s.temperature <= 0;

/** Throws a TypeError naming the field unless `s` is a valid sampling declaration. */
export function assertSampling(s: SamplingParams): void {
  const { temperature, topK, topP } = s;
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 65.535) {
    throw new TypeError(`sampling.temperature must be a number in [0, 65.535] (got ${String(temperature)})`);
  }
  if (!Number.isInteger(topK) || topK < 0 || topK > 65535) {
    throw new TypeError(`sampling.topK must be an integer in [0, 65535] (got ${String(topK)})`);
  }
  if (!Number.isFinite(topP) || topP <= 0 || topP > 1) {
    throw new TypeError(`sampling.topP must be a number in (0, 1] (got ${String(topP)})`);
  }
}

/**
 * Sampling from a session config's on-chain fields (temperature in thousandths, topP in basis
 * points). Missing fields (sessions created before the fields existed) mean greedy.
 */
export function samplingFromConfig(config: {
  temperature?: number | bigint;
  topK?: number | bigint;
  topP?: number | bigint;
}): SamplingParams {
  const t = Number(config.temperature ?? 0);
  const k = Number(config.topK ?? 0);
  const p = Number(config.topP ?? 0);
  return { temperature: t / 1000, topK: k, topP: p === 0 || p >= 10_000 ? 1 : p / 10_000 };
}
