import { BaseError } from "../errors/base.ts";

export type EmptyBatchErrorType = EmptyBatchError & { name: "EmptyBatchError" };

/** A batch action was called with no items (the contract would revert with BatchLengthMismatch). */
export class EmptyBatchError extends BaseError {
  override name = "EmptyBatchError" as const;
  constructor(action: string) {
    super(`${action} needs at least one item: the batch is empty.`);
  }
}

/** Throws EmptyBatchError for an empty batch. @internal */
export function requireItems<T>(action: string, items: readonly T[]): void {
  if (items.length === 0) throw new EmptyBatchError(action);
}

export type StoreRequiredErrorType = StoreRequiredError & { name: "StoreRequiredError" };

/** An item carries text to upload but no `store` was passed. */
export class StoreRequiredError extends BaseError {
  override name = "StoreRequiredError" as const;
  constructor(action: string) {
    super(`${action}: an item carries a prompt or result to upload, so pass \`store\`.`);
  }
}
