"""
moto's server (the `moto_server` command, same arguments), ended when the process that started
it is gone: run by Emulator.ts with its stdin a pipe that the parent never writes to.

The kernel closes the parent's end of that pipe when the parent exits for whatever reason,
SIGKILL and a crash included, where no exit handler of the parent runs; reading stdin then
ends (end of file) and this process exits at once, freeing its port. Without it, a killed
`cdc start` left moto running as an orphan, holding its port.

It also serializes moto's DynamoDB item operations (see serialize_dynamodb_item_operations), so
that conditional writes are atomic, as DynamoDB makes them.
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


# The DynamoDB operations that read or write items: one at a time, as DynamoDB applies each
# (conditional) write to an item atomically.
DYNAMODB_ITEM_OPERATIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "get_item",
    "batch_get_item",
    "transact_get_items",
    "query",
    "scan",
)


def serialize_dynamodb_item_operations() -> None:
    """
    DynamoDB applies a conditional write to an item atomically: of two `UpdateItem` calls with
    `attribute_not_exists(pk)` on one key, one succeeds and the other fails its condition. moto's
    backend takes no lock, and its server answers each request on a thread of its own, so both
    could succeed (seen: two invocations both granted one alert window, about once in twelve runs
    of its integration test). One lock around the backend's item operations gives the emulator
    DynamoDB's guarantee; the other services keep answering side by side.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def locked(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            with lock:
                return method(self, *args, **kwargs)

        return call

    for name in DYNAMODB_ITEM_OPERATIONS:
        method = getattr(DynamoDBBackend, name, None)
        if method is None:
            raise SystemExit(f"motoServer.py: moto's DynamoDBBackend has no {name}; check the pinned moto version")
        setattr(DynamoDBBackend, name, locked(method))


if __name__ == "__main__":
    # watching first: the parent may die while moto is still being imported (a second or two)
    threading.Thread(target=exit_when_stdin_closes, name="parent-watch", daemon=True).start()
    from moto.server import main

    serialize_dynamodb_item_operations()
    main(sys.argv[1:])
