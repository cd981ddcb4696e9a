"""
moto's server (the `moto_server` command, same arguments), ended when the process that started
it is gone: run by Emulator.ts with its stdin a pipe that the parent never writes to.

The kernel closes the parent's end of that pipe when the parent exits for whatever reason,
SIGKILL and a crash included, where no exit handler of the parent runs; reading stdin then
ends (end of file) and this process exits at once, freeing its port. Without it, a killed
`cdc start` left moto running as an orphan, holding its port.
"""

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


if __name__ == "__main__":
    # watching first: the parent may die while moto is still being imported (a second or two)
    threading.Thread(target=exit_when_stdin_closes, name="parent-watch", daemon=True).start()
    from moto.server import main

    main(sys.argv[1:])
