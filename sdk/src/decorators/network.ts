import type { Address } from "viem";
import { BaseError } from "../errors/base.ts";

/** Options of the COR decorators. */
export type CorDecoratorConfig<network extends Address | undefined = Address | undefined> = {
  /**
   * Address of CorNetwork (`deployment.network`) used when a call leaves out `network`. Given here, every action's
   * `network` parameter becomes optional; left out, every call must pass it.
   */
  network?: network | undefined;
};

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An action's parameters under a decorator: `network` optional when the decorator was given one. */
export type DecoratedParameters<parameters, network extends Address | undefined> = network extends Address
  ? DistributiveOmit<parameters, "network"> & { network?: Address | undefined }
  : parameters;

// biome-ignore lint/suspicious/noExplicitAny: any action shape `(client, parameters) => result`.
type AnyAction = (client: any, parameters: any) => unknown;

/** The decorated form of a set of actions: `(parameters) => result`, the client bound. */
export type Decorated<actions extends Record<string, AnyAction>, network extends Address | undefined> = {
  [name in keyof actions]: (
    parameters: DecoratedParameters<Parameters<actions[name]>[1], network>,
  ) => ReturnType<actions[name]>;
};

export type NetworkRequiredErrorType = NetworkRequiredError & { name: "NetworkRequiredError" };

/** A decorated action was called without `network`, and the decorator was given none. */
export class NetworkRequiredError extends BaseError {
  override name = "NetworkRequiredError" as const;
  constructor(action: string) {
    super(
      `${action} needs the network address: pass { network: deployment.network } to the call, or to corActions() / corWalletActions().`,
    );
  }
}

/** Binds `client` and the default network to each action. @internal */
export function bindActions<actions extends Record<string, AnyAction>, network extends Address | undefined>(
  client: unknown,
  actions: actions,
  config: CorDecoratorConfig<network>,
): Decorated<actions, network> {
  const bound: Record<string, (parameters: { network?: Address }) => unknown> = {};
  for (const [name, action] of Object.entries(actions)) {
    bound[name] = (parameters) => {
      const network = parameters?.network ?? config.network;
      if (!network) throw new NetworkRequiredError(name);
      return action(client, { ...parameters, network });
    };
  }
  return bound as Decorated<actions, network>;
}
