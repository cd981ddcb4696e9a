/**
 * The Wallboard's web server on localhost: one static page (`wallboard.html`, a hand-written
 * canvas chart, no framework) and a Server-Sent Events stream that pushes a {@link StatsSnapshot}
 * every `intervalMillis` (a client that stops reading is dropped, see {@link maxUnsentBytes}).
 * `/stats.json` serves the same snapshot once (for scripts and tests).
 *
 * Only redacted data is served: the snapshot holds published (already redacted) events and DLQ
 * reason codes. The server listens on loopback only, and answers only requests addressed to it
 * there ({@link isLoopbackHost}): a web page whose own name a DNS rebinding points at 127.0.0.1
 * would otherwise read the events from the visitor's browser.
 *
 * @example
 * ```ts
 * const { url } = yield* serveWallboard({ port: 0, stats })
 * console.error(`Wallboard: ${url}`)
 * ```
 */
import { readFileSync } from "node:fs"
import { createServer, type ServerResponse } from "node:http"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { LiveStats } from "./LiveStats"

/** The port is taken or cannot be opened. */
export class WallboardServerError extends Data.TaggedError("WallboardServerError")<{ readonly port: number; readonly code: string }> {
  readonly category = "configuration" as const
  readonly retryable = false
  override get message(): string {
    return `the Wallboard could not listen on 127.0.0.1:${this.port} (${this.code}); choose another port with --port`
  }
}

export interface WallboardServerOptions {
  /** 0 picks a free port. */
  readonly port: number
  readonly stats: LiveStats
  readonly intervalMillis?: number
  /** Unsent bytes a stream client may hold before it is dropped; default {@link maxUnsentBytes}. */
  readonly maxUnsentBytes?: number
}

/**
 * A client that stops reading (a stuck script, a frozen tab) would keep every snapshot pushed to
 * it in this process's memory: past this many unsent bytes (some twenty snapshots) it is dropped.
 * A browser's EventSource reconnects by itself and starts again from a fresh snapshot.
 */
export const maxUnsentBytes = 512 * 1024

const page = readFileSync(new URL("./wallboard.html", import.meta.url), "utf8")

const loopbackNames = ["127.0.0.1", "localhost", "[::1]"]

/**
 * Whether a request's `Host` names this server on loopback (`127.0.0.1`, `localhost` or `[::1]`,
 * with its port, which HTTP leaves out for 80): a browser sends the name of the site it believes
 * it talks to, so a rebound name is refused, while the page's own requests and
 * `curl http://127.0.0.1:PORT/…` pass.
 *
 * @example
 * ```ts
 * isLoopbackHost("127.0.0.1:8787", 8787) // true
 * isLoopbackHost("localhost", 80) // true
 * isLoopbackHost("evil.example:8787", 8787) // false
 * ```
 */
export const isLoopbackHost = (host: string | undefined, port: number): boolean => {
  if (host === undefined) return false
  const named = host.toLowerCase()
  return loopbackNames.some((name) => named === `${name}:${port}` || (port === 80 && named === name))
}

const send = (response: ServerResponse, status: number, type: string, body: string) => {
  response.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" })
  response.end(body)
}

/** Starts the server in the current scope; closing the scope closes it and its SSE streams. */
export const serveWallboard = (options: WallboardServerOptions) =>
  Effect.gen(function* () {
    const server = yield* Effect.acquireRelease(
      Effect.clockWith((clock) => listen(options, () => options.stats.snapshot(clock.currentTimeMillisUnsafe()))),
      (server) => Effect.sync(server.close)
    )
    // the pushes follow Effect's Clock, as every timer of the pipeline does
    yield* Effect.forkScoped(Effect.repeat(Effect.sync(server.push), Schedule.spaced(options.intervalMillis ?? 500)))
    return { url: server.url, port: server.port }
  })

interface Listening {
  readonly url: string
  readonly port: number
  /** Sends the current snapshot to every stream client, dropping those that stopped reading. */
  readonly push: () => void
  readonly close: () => void
}

/** The server, serving `snapshot()` (the stats at the current time of Effect's Clock). */
const listen = (options: WallboardServerOptions, snapshot: () => unknown) =>
  Effect.callback<Listening, WallboardServerError>((resume) => {
    const streams = new Set<ServerResponse>()
    let port = options.port
    const server = createServer((request, response) => {
      const path = (request.url ?? "/").split("?")[0]
      if (!isLoopbackHost(request.headers.host, port))
        return send(response, 403, "text/plain", "forbidden: open the Wallboard at its 127.0.0.1 address")
      if (request.method !== "GET") return send(response, 405, "text/plain", "method not allowed")
      if (path === "/") return send(response, 200, "text/html; charset=utf-8", page)
      if (path === "/stats.json") return send(response, 200, "application/json", JSON.stringify(snapshot()))
      if (path === "/events") {
        response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" })
        response.write(`data: ${JSON.stringify(snapshot())}\n\n`)
        streams.add(response)
        request.on("close", () => streams.delete(response))
        return
      }
      send(response, 404, "text/plain", "not found")
    })
    const limit = options.maxUnsentBytes ?? maxUnsentBytes
    const push = () => {
      if (streams.size === 0) return
      const line = `data: ${JSON.stringify(snapshot())}\n\n`
      for (const stream of streams) {
        // what the socket has not sent yet, queued in this process (the kernel's buffers are full)
        if (stream.writableLength > limit) {
          streams.delete(stream)
          stream.destroy()
          continue
        }
        stream.write(line)
      }
    }
    const close = () => {
      for (const stream of streams) stream.end()
      server.close()
      server.closeAllConnections()
    }
    server.once("error", (error: NodeJS.ErrnoException) => {
      resume(Effect.fail(new WallboardServerError({ port: options.port, code: error.code ?? "unknown" })))
    })
    server.listen(options.port, "127.0.0.1", () => {
      const address = server.address()
      port = typeof address === "object" && address ? address.port : options.port
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}/`, port, push, close }))
    })
  })
