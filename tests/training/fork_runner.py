"""Runs ``melodygan`` commands in forked copies of one warm interpreter, so kill tests pay the imports once.

Protocol: one JSON request per stdin line, one JSON reply per stdout line.
``{"op": "run", "argv": [...], "log": path}`` forks a child that runs ``melodygan_desktop.cli.main(argv)``
with stdout/stderr line-buffered into ``log`` and replies ``{"pid": pid}``;
``{"op": "wait", "pid": pid}`` reaps it and replies ``{"exit_code": n}`` or ``{"signal": n}``.
The child is the real command-line entry point in its own process: killing it is killing ``melodygan``.
"""

from __future__ import annotations

import json
import os
import sys


def _child(argv: list[str], log: str) -> None:
    code = 70
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        sys.stdout.reconfigure(line_buffering=True)
        sys.stderr.reconfigure(line_buffering=True)
        from melodygan_desktop.cli import main

        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    import torch

    torch.set_num_threads(1)
    # Warm the modules a training run imports, so each forked run starts in milliseconds.
    import torch._dynamo  # noqa: F401  (the first optimiser imports it: 4 s on a busy machine)
    import torchaudio.transforms  # noqa: F401

    import melodygan_desktop.checkpoints  # noqa: F401
    import melodygan_desktop.cli.commands  # noqa: F401
    import melodygan_desktop.cli.progress  # noqa: F401
    import melodygan_desktop.models.presets  # noqa: F401
    import melodygan_desktop.training.loop  # noqa: F401

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "run":
            pid = os.fork()
            if pid == 0:
                _child(request["argv"], request["log"])
            reply = {"pid": pid}
        elif request["op"] == "wait":
            _, status = os.waitpid(request["pid"], 0)
            if os.WIFSIGNALED(status):
                reply = {"signal": os.WTERMSIG(status)}
            else:
                reply = {"exit_code": os.WEXITSTATUS(status)}
        else:
            reply = {"error": f"unknown op {request['op']!r}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    serve()
