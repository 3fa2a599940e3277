#!/usr/bin/env node
// The `cor` command: registers tsx (TypeScript runs without a build step) and the "cor-source" export condition
// (workspace packages such as @cor-network/sdk resolve to their .ts sources, no build needed), then runs the CLI.
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

const sourceCondition = `export const resolve = (specifier, context, next) =>
  next(specifier, context.conditions.includes("cor-source") ? context : { ...context, conditions: ["cor-source", ...context.conditions] });`;
registerTsx();
register(`data:text/javascript,${encodeURIComponent(sourceCondition)}`);
await import("../src/cli.ts");
