"""``melodygan-desktop``: the desktop app's entry point (the app itself lives in ``ui/app.py``).

Kept free of Qt imports so that importing the package never loads Qt; the GUI is imported on start.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .ui.app import main as run_app

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
