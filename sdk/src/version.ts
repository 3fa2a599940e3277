/** Version of @cor-network/sdk, printed in every error message. Keep in step with sdk/package.json. */
export const version = "0.1.0";
