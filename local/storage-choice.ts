/** Whether the user pointed the SDK at an AWS or LocalStack endpoint. */
export function usesExternalAws(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_DYNAMODB || env.USE_AWS === "true");
}
