import { ConfigError } from "./errors.ts";

type Spec = {
  env: string;
  description: string;
  required?: boolean;
  default?: string;
  parse?: "string" | "int" | "url" | "hex32" | "path";
};

/**
 * Reads and validates an agent's configuration from CLI flags (already merged by the caller) and env.
 * Any missing or malformed value throws one ConfigError listing every problem.
 */
export const readConfig = <K extends string>(
  specs: Record<K, Spec>,
  overrides: Partial<Record<K, string | undefined>> = {},
): Record<K, string> => {
  const out = {} as Record<K, string>;
  const problems: string[] = [];
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    const value = overrides[key] ?? process.env[spec.env] ?? spec.default;
    if (value === undefined || value === "") {
      if (spec.required) problems.push(`${spec.env} is required (${spec.description})`);
      continue;
    }
    if (spec.parse === "int" && !/^\d+$/.test(value))
      problems.push(`${spec.env} must be a whole number, got "${value}"`);
    if (spec.parse === "url" && !/^(https?|wss?):\/\/.+/.test(value))
      problems.push(`${spec.env} must be a URL, got "${value}"`);
    if (spec.parse === "hex32" && !/^0x[0-9a-fA-F]{64}$/.test(value)) {
      problems.push(`${spec.env} must be a 0x-prefixed 32-byte hex string`);
    }
    out[key] = value;
  }
  if (problems.length) throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  return out;
};
