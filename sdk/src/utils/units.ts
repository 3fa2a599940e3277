import { formatUnits, parseUnits } from "viem";

/** COR has 18 decimals, like ether. */
export const COR_DECIMALS = 18;

/**
 * Parses a decimal COR amount into wei.
 *
 * @example
 * parseCor("1.5") // 1500000000000000000n
 */
export const parseCor = (amount: string | number): bigint => parseUnits(String(amount), COR_DECIMALS);

/**
 * Formats wei as a decimal COR amount (no unit).
 *
 * @example
 * formatCor(1500000000000000000n) // "1.5"
 */
export const formatCor = (wei: bigint): string => formatUnits(wei, COR_DECIMALS);

/** `formatCor` with the unit: "1.5 COR". */
export const displayCor = (wei: bigint): string => `${formatCor(wei)} COR`;
