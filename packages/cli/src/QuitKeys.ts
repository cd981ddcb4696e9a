/**
 * The terminal of the `cdc` command: Effect's Node terminal, with its quit keys (Ctrl+C, Ctrl+D,
 * Escape) ending a prompt as before, its prompts drawn on stderr (stdout is for data), and a
 * record of how a prompt was ended without an answer.
 *
 * Effect's CLI catches a prompt's `QuitError` inside `Command.run` (`cdc --wizard` prints
 * "Wizard cancelled." and returns), so the run would end as a success and the process exit 0, as
 * if the command had run. The same happens when stdin ends under a prompt (`cdc --wizard
 * </dev/null`, or piped answers that run out). `main` asks {@link QuitKeys.pressed} and exits 130
 * instead, as Ctrl-C does everywhere else, and {@link QuitKeys.inputEnded}, a usage error: the
 * wizard needs someone to answer it.
 *
 * @example
 * ```ts
 * const quitKeys = makeQuitKeys()
 * program.pipe(Effect.provide(quitKeys.layer), Effect.provide(NodeServices.layer))
 * if (quitKeys.pressed()) process.exitCode = 130
 * ```
 */
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Terminal from "effect/Terminal"

export interface QuitKeys {
  /** The `Terminal` service to provide in place of Node's default one. */
  readonly layer: Layer.Layer<Terminal.Terminal>
  /** Whether a quit key ended a prompt. */
  readonly pressed: () => boolean
  /** Whether a prompt was left without an answer because stdin ended. */
  readonly inputEnded: () => boolean
}

/** Effect's default quit keys (not exported by it): Escape, Ctrl+C, Ctrl+D. */
const isQuitKey = ({ key }: Terminal.UserInput): boolean => key.name === "escape" || (key.ctrl && (key.name === "c" || key.name === "d"))

export const makeQuitKeys = (): QuitKeys => {
  let pressed = false
  let inputEnded = false
  const layer = Layer.effect(
    Terminal.Terminal,
    Effect.map(
      NodeTerminal.make((input) => {
        const quit = isQuitKey(input)
        if (quit) pressed = true
        return quit
      }),
      (terminal) =>
        Terminal.make({
          ...terminal,
          // prompts go to stderr, with its width: stdout is the data (`cdc --wizard > catalog.json`)
          display: (text) =>
            Effect.callback<void>((resume) => {
              process.stderr.write(text, () => resume(Effect.void))
            }),
          columns: Effect.sync(() => process.stderr.columns ?? 0),
          rows: Effect.sync(() => process.stderr.rows ?? 0),
          // Each prompt reads keys in a scope of its own, which closes with the prompt's outcome:
          // failed without a quit key, after stdin ended, means the input ran out before an answer.
          // (Whether stdin ended when it closed, not when the prompt was waiting: the last answer
          // and the end of a pipe can arrive together, and that prompt still has its answer.)
          readInput: Effect.tap(terminal.readInput, () =>
            Effect.addFinalizer((exit) =>
              Effect.sync(() => {
                if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause) && !pressed && process.stdin.readableEnded)
                  inputEnded = true
              })
            )
          )
        })
    )
  )
  return { layer, pressed: () => pressed, inputEnded: () => inputEnded }
}
