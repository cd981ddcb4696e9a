/**
 * The terminal of the `cdc` command: Effect's Node terminal, with its quit keys (Ctrl+C, Ctrl+D,
 * Escape) ending a prompt as before, and a record that one was pressed.
 *
 * Effect's CLI catches a prompt's `QuitError` inside `Command.run` (`cdc --wizard` prints
 * "Wizard cancelled." and returns), so the run would end as a success and the process exit 0, as
 * if the command had run. `main` asks {@link QuitKeys.pressed} and exits 130 instead, as Ctrl-C
 * does everywhere else.
 *
 * @example
 * ```ts
 * const quitKeys = makeQuitKeys()
 * program.pipe(Effect.provide(quitKeys.layer), Effect.provide(NodeServices.layer))
 * if (quitKeys.pressed()) process.exitCode = 130
 * ```
 */
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Layer from "effect/Layer"
import * as Terminal from "effect/Terminal"

export interface QuitKeys {
  /** The `Terminal` service to provide in place of Node's default one. */
  readonly layer: Layer.Layer<Terminal.Terminal>
  /** Whether a quit key ended a prompt. */
  readonly pressed: () => boolean
}

/** Effect's default quit keys (not exported by it): Escape, Ctrl+C, Ctrl+D. */
const isQuitKey = ({ key }: Terminal.UserInput): boolean => key.name === "escape" || (key.ctrl && (key.name === "c" || key.name === "d"))

export const makeQuitKeys = (): QuitKeys => {
  let pressed = false
  const layer = Layer.effect(
    Terminal.Terminal,
    NodeTerminal.make((input) => {
      const quit = isQuitKey(input)
      if (quit) pressed = true
      return quit
    })
  )
  return { layer, pressed: () => pressed }
}
