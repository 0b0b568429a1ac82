"""``python -m melodygan_desktop``: the command line."""

import sys

from .cli import main

sys.exit(main())
