/**
 * What to do about an AWS call that could not be made, by the code of its error: the error names
 * only the problem, as it keeps the SDK's code and never its message (see `@cdc/aws/AwsError`).
 *
 * @example
 * ```ts
 * awsHint("RegionMissing") // "set AWS_REGION"
 * awsHint("ThrottlingException") // undefined: nothing to set, the call may pass later
 * ```
 */
const hints: Readonly<Record<string, string>> = {
  RegionMissing: "set AWS_REGION",
  CredentialsProviderError:
    "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; a running `cdc start` is used only when no bucket or stream is named",
  ECONNREFUSED: "nothing listens at the endpoint: is the emulator of AWS_ENDPOINT_URL, or the `cdc start` of --state-dir, running?"
}

export const awsHint = (code: string): string | undefined => (Object.hasOwn(hints, code) ? hints[code] : undefined)
