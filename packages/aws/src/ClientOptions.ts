/**
 * Options shared by every SDK client of the project.
 *
 * The endpoint is never set here: the SDK reads `AWS_ENDPOINT_URL` (and
 * `AWS_ENDPOINT_URL_<SERVICE>`) itself, which is how the same code talks to the local emulator
 * and to AWS. Every client uses an HTTP/1.1 handler with keep-alive: Kinesis' default HTTP/2
 * handler fails against HTTP/1 emulators, and one handler everywhere keeps behaviour identical
 * between the emulator and the cloud.
 *
 * The handler is given as options, and the SDK builds it from its own copy of
 * `@smithy/node-http-handler` (the default handler of every client but Kinesis). A handler built
 * here would put a second copy of that package and its dependencies (≈ 125 KB) into a Lambda
 * bundle whose SDK comes from the runtime, and Node would load both at init. The keep-alive
 * agents are options too: importing `Agent` from `node:http` in an ES module (as the Lambda bundle
 * is) evaluates every export of `http`, lazy ones included, which loads Node's bundled undici.
 * Kinesis, whose default handler is HTTP/2, gets the HTTP/1.1 handler built
 * ({@link kinesisClientOptions}), so the DLQ worker (which reads failed records back from the
 * stream) still carries that copy; the processor, whose cold starts matter most, does not.
 *
 * @example
 * ```ts
 * const sqs = new SQSClient(clientOptions())
 * const kinesis = new KinesisClient(kinesisClientOptions())
 * ```
 */
import { NodeHttpHandler, type NodeHttpHandlerOptions } from "@smithy/node-http-handler"

export interface ClientOptions {
  /** The options of the SDK's `NodeHttpHandler` (HTTP/1.1). */
  readonly requestHandler: NodeHttpHandlerOptions
  /** Retries are ours (Schedule-based, see @cdc/pipeline); the SDK's own would multiply them. */
  readonly maxAttempts: number
}

const httpOptions = (): NodeHttpHandlerOptions => ({
  httpAgent: { keepAlive: true, maxSockets: 50 },
  httpsAgent: { keepAlive: true, maxSockets: 50 },
  connectionTimeout: 3_000,
  requestTimeout: 10_000,
  // Without it the SDK only logs a warning and a hung request holds the batch until the Lambda
  // timeout; with it the call fails as a retryable TimeoutError (seen under chaos on the emulator).
  throwOnRequestTimeout: true
})

/** Options of a client whose default handler is the HTTP/1.1 `NodeHttpHandler` (all but Kinesis). */
export const clientOptions = (): ClientOptions => ({ requestHandler: httpOptions(), maxAttempts: 1 })

/** Options of a Kinesis client: the same HTTP/1.1 handler, built, in place of its HTTP/2 default. */
export const kinesisClientOptions = (): Omit<ClientOptions, "requestHandler"> & { readonly requestHandler: NodeHttpHandler } => {
  const options = clientOptions()
  return { ...options, requestHandler: new NodeHttpHandler(options.requestHandler) }
}
