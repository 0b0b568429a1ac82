"""Entry script of the frozen app: the same ``main`` as the ``melodygan-desktop`` command."""

import multiprocessing
import sys

from melodygan_desktop.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must run its task, not a second window
    sys.exit(main())
