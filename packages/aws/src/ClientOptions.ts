/**
 * Options shared by every SDK client of the project.
 *
 * The endpoint is never set here: the SDK reads `AWS_ENDPOINT_URL` (and
 * `AWS_ENDPOINT_URL_<SERVICE>`) itself, which is how the same code talks to the local emulator
 * and to AWS. The HTTP/1.1 handler with keep-alive is used for every client because Kinesis'
 * default HTTP/2 handler fails against HTTP/1 emulators, and one handler everywhere keeps
 * behaviour identical between the emulator and the cloud.
 *
 * The keep-alive agents are given as options, and the SDK builds them: importing `Agent` from
 * `node:http` in an ES module (as the Lambda bundle is) evaluates every export of `http`, lazy
 * ones included, which loads Node's bundled undici: ≈ 40 ms on its own, ≈ 10 ms of the Lambda's
 * init (where the SDK loads some of the same modules anyway), for nothing.
 *
 * @example
 * ```ts
 * const kinesis = new KinesisClient(clientOptions())
 * ```
 */
import { NodeHttpHandler } from "@smithy/node-http-handler"

export interface ClientOptions {
  readonly requestHandler: NodeHttpHandler
  /** Retries are ours (Schedule-based, see @cdc/pipeline); the SDK's own would multiply them. */
  readonly maxAttempts: number
}

export const clientOptions = (): ClientOptions => ({
  requestHandler: new NodeHttpHandler({
    httpAgent: { keepAlive: true, maxSockets: 50 },
    httpsAgent: { keepAlive: true, maxSockets: 50 },
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    // Without it the SDK only logs a warning and a hung request holds the batch until the Lambda
    // timeout; with it the call fails as a retryable TimeoutError (seen under chaos on the emulator).
    throwOnRequestTimeout: true
  }),
  maxAttempts: 1
})
