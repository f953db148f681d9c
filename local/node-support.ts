/**
 * Node versions: this project runs on Node 20.12 or later (`engines` in
 * package.json; 20.12 brought `process.loadEnvFile`). The AWS SDK prints an
 * 8-line `NodeVersionSupportWarning` on Node 20 in every process that builds a
 * client, because SDK releases after early January 2027 will need Node 22.
 * The SDK versions are pinned here, so the notice is about upgrades, not about
 * this code: the SDK's documented switch turns it off (aws/aws-sdk-js-v3#7983).
 * Node 22 is what the Lambda runs; move to it when you can.
 */

/** The SDK's own switch for its Node-version notice. */
export const SDK_NODE_WARNING_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/**
 * Turns the SDK's Node-version notice off in `env` (and in every child process
 * that inherits it), unless the user set the switch either way.
 */
export function quietSdkNodeWarning(env: Record<string, string | undefined>): void {
  env[SDK_NODE_WARNING_SWITCH] ??= "true";
}
