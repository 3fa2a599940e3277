// viem decorators: `client.extend(corActions({ network }))` (reads, watch) and `.extend(corWalletActions())` (writes).

export { type CorActions, corActions } from "./corActions.ts";
export { type CorWalletActions, corWalletActions } from "./corWalletActions.ts";
export {
  type CorDecoratorConfig,
  type DecoratedParameters,
  NetworkRequiredError,
  type NetworkRequiredErrorType,
} from "./network.ts";
