"""``python -m melodygan_desktop.cli`` (used by torchrun, which needs a module or script path)."""

import sys

from . import main

sys.exit(main())
