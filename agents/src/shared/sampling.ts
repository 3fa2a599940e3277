import type { SessionInfo } from "@cor-network/sdk";
import type { SamplingParams } from "../inference/index.ts";

/**
 * A session's declared sampling (SDK getSession: temperature and topP already as floats, topP 0 = off) in the
 * engine's units (topP 1 = off). Miners generate and validators replay with exactly this window.
 */
export const samplingOfSession = (session: Pick<SessionInfo, "sampling">): SamplingParams => {
  const { temperature, topK, topP } = session.sampling;
  return { temperature, topK, topP: topP <= 0 || topP >= 1 ? 1 : topP };
};
