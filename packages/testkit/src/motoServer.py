"""
moto's server (the `moto_server` command, same arguments), ended when the process that started
it is gone: run by Emulator.ts with its stdin a pipe that the parent never writes to.

The kernel closes the parent's end of that pipe when the parent exits for whatever reason,
SIGKILL and a crash included, where no exit handler of the parent runs; reading stdin then
ends (end of file) and this process exits at once, freeing its port. Without it, a killed
`cdc start` left moto running as an orphan, holding its port.

It also answers DynamoDB requests one at a time (see serialize_dynamodb_requests), so that
conditional writes are atomic, as DynamoDB makes them.
"""

import functools
import os
import sys
import threading


def exit_when_stdin_closes() -> None:
    try:
        # blocks in the kernel (no polling); nothing is ever written, anything that is is ignored
        while os.read(0, 65536):
            pass
    except OSError:
        pass  # no usable stdin: treated as a parent already gone
    # os._exit, not sys.exit (which would end this thread only): moto keeps its state in memory,
    # there is nothing to flush
    os._exit(0)


def serialize_dynamodb_requests() -> None:
    """
    DynamoDB applies a conditional write to an item atomically: of two `UpdateItem` calls with
    `attribute_not_exists(pk)` on one key, one succeeds and the other fails its condition. moto
    takes no lock, and its server answers each request on a thread of its own, so both could
    succeed (seen: two invocations both granted one alert window, in 7 of 100 problems asked for
    by eight invocations at once). DynamoDB requests are therefore answered one at a time, each
    whole: its parameters read, the backend's work, and its reply written (an `UpdateItem`'s
    `ALL_NEW` reply is read from the live item). The other services keep answering side by side.
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.Lock()
    call_action = DynamoHandler.call_action

    @functools.wraps(call_action)
    def one_at_a_time(self):
        with lock:
            return call_action(self)

    DynamoHandler.call_action = one_at_a_time


if __name__ == "__main__":
    # watching first: the parent may die while moto is still being imported (a second or two)
    threading.Thread(target=exit_when_stdin_closes, name="parent-watch", daemon=True).start()
    from moto.server import main

    serialize_dynamodb_requests()
    main(sys.argv[1:])
