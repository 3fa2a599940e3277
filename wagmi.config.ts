import { defineConfig } from "@wagmi/cli";
import { foundry } from "@wagmi/cli/plugins";

// ABIs come from forge's build output (out/), never by hand: `npm run abis` regenerates sdk/src/generated/abis.ts.
export default defineConfig({
  out: "sdk/src/generated/abis.ts",
  plugins: [
    foundry({
      project: ".",
      forge: { build: false },
      include: ["ICorNetwork.sol/**", "CORToken.sol/**", "CorRegistry.sol/**"],
    }),
  ],
});
