import { createServer, request } from "node:http"
import { connect } from "node:net"
import { it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { makeLiveStats } from "../../src/local/LiveStats"
import { isLoopbackHost, serveWallboard, WallboardServerError } from "../../src/local/WallboardServer"

/** The first `count` Server-Sent Events of `url`, parsed; fails after 3 s without them. */
const firstEvents = (url: string, count: number) =>
  Effect.promise(async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000) })
    const reader = response.body!.getReader()
    let text = ""
    while (text.split("\n\n").length <= count) text += new TextDecoder().decode((await reader.read()).value)
    await reader.cancel()
    return text
      .split("\n\n")
      .slice(0, count)
      .map((frame) => JSON.parse(frame.replace(/^data: /, "")) as { totals: { published: number } })
  })

describe("the Wallboard server", () => {
  it.effect("pushes a snapshot each interval of Effect's Clock, stamped with its time", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* serveWallboard({ port: 0, stats: makeLiveStats(), intervalMillis: 60_000 })
        const reader = (yield* Effect.promise(() => fetch(`${url}events`, { signal: AbortSignal.timeout(3_000) }))).body!.getReader()
        yield* Effect.addFinalizer(() => Effect.promise(() => reader.cancel()))
        let text = ""
        /** The next frame the server sends (real I/O: the socket is real, the clock is the test's). */
        const nextFrame = Effect.promise(async () => {
          const frames = () => text.split("\n\n").length - 1
          const before = frames()
          while (frames() === before) text += new TextDecoder().decode((await reader.read()).value)
          return JSON.parse(text.split("\n\n")[before]!.replace(/^data: /, "")) as { at: number }
        })
        const times = [(yield* nextFrame).at]
        for (let i = 0; i < 2; i++) {
          yield* TestClock.adjust("1 minute")
          times.push((yield* nextFrame).at)
        }
        // the frame sent on connecting, then one per minute of the test's clock, at once: a wall-clock timer would not fire before the test times out
        expect(times).toEqual([0, 60_000, 120_000])
      })
    )
  )

  it.live("serves the page, the live statistics once and as a stream that keeps pushing", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const stats = makeLiveStats()
        const { url } = yield* serveWallboard({ port: 0, stats })
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
        const page = yield* Effect.promise(() => fetch(url))
        expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"])
        stats.eventArrived({ table: "users", eventType: "user.created", eventId: "evt_1_a", detail: {} }, Date.now())
        const once = yield* Effect.promise(() =>
          fetch(`${url}stats.json`).then((r) => r.json() as Promise<{ totals: { published: number } }>)
        )
        expect(once.totals.published).toBe(1)
        const events = yield* firstEvents(`${url}events`, 3)
        expect(events.map((e) => e.totals.published)).toEqual([1, 1, 1])
      })
    )
  )

  it.live("drops a stream client that stopped reading, instead of queueing snapshots for it without end", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // snapshots of about 1 MB, pushed every 5 ms: a client that does not read falls behind at once
        const stats = makeLiveStats()
        for (let i = 0; i < 25; i++)
          stats.eventConsumed(
            "wallboards",
            { table: "users", eventType: "user.created", eventId: `evt_${i}`, detail: { pad: "x".repeat(40_000) } },
            0,
            true
          )
        const { port } = yield* serveWallboard({ port: 0, stats, intervalMillis: 5 })
        const socket = connect(port, "127.0.0.1")
        yield* Effect.addFinalizer(() => Effect.sync(() => socket.destroy()))
        let received = 0
        const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()))
        socket.on("data", (chunk: Buffer) => {
          received += chunk.length
        })
        socket.on("error", () => {}) // a reset is a close too
        socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
        socket.pause() // the client stops reading: the kernel's buffers fill, then the server's
        yield* Effect.sleep(1_000)
        socket.resume()
        const dropped = yield* Effect.promise(() =>
          Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000))])
        )
        expect(dropped).toBe(true)
        // what it got: the kernel's buffers and the bound, not the 200 snapshots (200 MB) pushed meanwhile
        expect(received).toBeLessThan(64 * 1024 * 1024)
      })
    )
  )

  it.live("listens on loopback only", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { port } = yield* serveWallboard({ port: 0, stats: makeLiveStats() })
        // 127.0.0.2 is this machine too, but not the address the server listens on.
        const reached = yield* Effect.promise(() =>
          fetch(`http://127.0.0.2:${port}/`).then(
            () => true,
            () => false
          )
        )
        expect(reached).toBe(false)
      })
    )
  )

  it.live("answers only requests addressed to its loopback address: a rebound DNS name gets 403", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const stats = makeLiveStats()
        const { port } = yield* serveWallboard({ port: 0, stats })
        // what a browser sends for a page of evil.example whose name now resolves to 127.0.0.1
        const statusFor = (host: string) =>
          Effect.promise(
            () =>
              new Promise<number>((resolve, reject) =>
                request({ host: "127.0.0.1", port, path: "/stats.json", headers: { host } }, (response) => {
                  response.resume()
                  resolve(response.statusCode ?? 0)
                })
                  .on("error", reject)
                  .end()
              )
          )
        expect(yield* statusFor(`evil.example:${port}`)).toBe(403)
        expect(yield* statusFor(`127.0.0.1:${port + 1}`)).toBe(403)
        expect([yield* statusFor(`127.0.0.1:${port}`), yield* statusFor(`localhost:${port}`)]).toEqual([200, 200])
      })
    )
  )

  it.live("answers only GET, and 404 for anything else", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* serveWallboard({ port: 0, stats: makeLiveStats() })
        const status = (path: string, method = "GET") => Effect.promise(() => fetch(`${url}${path}`, { method }).then((r) => r.status))
        expect([yield* status("", "POST"), yield* status("secrets")]).toEqual([405, 404])
      })
    )
  )

  it.live("stops listening when its scope closes", () =>
    Effect.gen(function* () {
      const { url } = yield* Effect.scoped(serveWallboard({ port: 0, stats: makeLiveStats() }))
      const failed = yield* Effect.promise(() =>
        fetch(url).then(
          () => false,
          () => true
        )
      )
      expect(failed).toBe(true)
    })
  )

  it.live("fails with WallboardServerError naming the port when the port is taken", () =>
    Effect.gen(function* () {
      const other = createServer()
      const port = yield* Effect.promise(
        () => new Promise<number>((resolve) => other.listen(0, "127.0.0.1", () => resolve((other.address() as { port: number }).port)))
      )
      const error = yield* Effect.flip(Effect.scoped(serveWallboard({ port, stats: makeLiveStats() })))
      other.close()
      expect(error).toEqual(new WallboardServerError({ port, code: "EADDRINUSE" }))
      expect(error.message).toContain("--port")
    })
  )
})

describe("isLoopbackHost", () => {
  it("takes the loopback names with the server's port, and without it only for port 80, as HTTP writes them", () => {
    expect(["127.0.0.1:8787", "LOCALHOST:8787", "[::1]:8787"].map((host) => isLoopbackHost(host, 8787))).toEqual([true, true, true])
    expect(["127.0.0.1", "localhost", "[::1]"].map((host) => isLoopbackHost(host, 80))).toEqual([true, true, true])
    expect(
      ["127.0.0.1", "127.0.0.1:80", "evil.example:8787", "127.0.0.1.evil.example:8787", ""].map((host) => isLoopbackHost(host, 8787))
    ).toEqual([false, false, false, false, false])
    expect(isLoopbackHost(undefined, 8787)).toBe(false)
  })
})
