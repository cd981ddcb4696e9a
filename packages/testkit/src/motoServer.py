"""
moto's server (the `moto_server` command, same arguments), ended when the process that started
it is gone: run by Emulator.ts with its stdin a pipe that the parent never writes to.

The kernel closes the parent's end of that pipe when the parent exits for whatever reason,
SIGKILL and a crash included, where no exit handler of the parent runs; reading stdin then
ends (end of file) and this process exits at once, freeing its port. Without it, a killed
`cdc start` left moto running as an orphan, holding its port.

It listens on its socket before moto is imported (see listen_first): with `-p 0`, on a port the
kernel picks, which it prints on stdout as `listening on port N`. A port picked by the parent and
handed over instead could be taken by another process in between, or answered by another
emulator while this one was still starting.

It also answers DynamoDB requests one at a time (see serialize_dynamodb_requests), so that
conditional writes are atomic, as DynamoDB makes them.
"""

from __future__ import annotations

import argparse
import functools
import os
import socket
import sys
import threading

# the listening socket: kept referenced for the life of the process (a collected socket closes)
listening: socket.socket | None = None


def listen_first(argv: list[str]) -> list[str]:
    """
    Binds and listens on `-H`/`-p` (port 0: any free port), announces the port, and hands the
    socket to werkzeug the way werkzeug's own reloader hands it to its child process (the
    WERKZEUG_SERVER_FD variable, read when WERKZEUG_RUN_MAIN is "true"). Returns moto's
    arguments with the actual port. Connections made before moto is ready wait in the backlog.
    """
    global listening
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=0)
    args, rest = parser.parse_known_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # as werkzeug binds: a port just given up (its connections in TIME_WAIT) can be taken again,
    # so `npm run emulator -- --port 5000` restarts at once; a port someone listens on cannot
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        sock.listen(128)
    except OSError as error:
        sys.stderr.write(f"cannot listen on {args.host}:{args.port}: {error.strerror}\n")
        sys.exit(1)
    listening = sock
    port = sock.getsockname()[1]
    os.environ["WERKZEUG_RUN_MAIN"] = "true"
    os.environ["WERKZEUG_SERVER_FD"] = str(sock.fileno())
    # moto builds some URLs from it (its own server sets it from -p)
    os.environ["MOTO_PORT"] = str(port)
    print(f"listening on port {port}", flush=True)
    return ["-H", args.host, "-p", str(port), *rest]


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
    moto_argv = listen_first(sys.argv[1:])
    from moto.server import main

    serialize_dynamodb_requests()
    main(moto_argv)
