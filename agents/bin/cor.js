#!/usr/bin/env node
// The `cor` command: registers tsx (TypeScript runs without a build step), then runs the CLI.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
