/**
 * A stand-in SDK client for unit tests: `send` answers every command with `answer` (a throw is a
 * rejected call, as the SDK's), and keeps the commands it was sent.
 */
export const fakeClient = <Client>(answer: (command: { readonly input: Record<string, unknown> }) => unknown) => {
  const commands: Array<{ readonly input: Record<string, unknown> }> = []
  const send = async (command: { readonly input: Record<string, unknown> }) => {
    commands.push(command)
    // On a later turn of the event loop, as a network answer: a runaway loop of calls still lets timers fire.
    await new Promise((resolve) => setImmediate(resolve))
    return answer(command)
  }
  return { client: { send } as unknown as Client, commands }
}

/** An error as the SDK throws it: a name and the HTTP status. */
export const sdkError = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })
