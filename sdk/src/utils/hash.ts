import { type Address, encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";

// Browser-safe copies of protocol.ts's hash helpers (protocol.ts imports node:crypto); utils.test.ts keeps them
// equal.

/** keccak256 of the exact bytes stored on IPFS (a string is UTF-8 encoded): `promptHash` and `resultHash`. */
export const contentHashOf = (data: Uint8Array | string): Hex =>
  keccak256(typeof data === "string" ? toBytes(data) : data);

/**
 * The precommit: keccak256(abi.encode(taskId, miner, resultHash, uint32 tokens, salt)). Binding the miner stops
 * copying; binding the output token count stops a miner from claiming more tokens than it committed to.
 */
export const commitmentOf = (taskId: bigint, miner: Address, resultHash: Hex, tokens: number, salt: Hex): Hex =>
  keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "uint32" }, { type: "bytes32" }],
      [taskId, miner, resultHash, tokens, salt],
    ),
  );
