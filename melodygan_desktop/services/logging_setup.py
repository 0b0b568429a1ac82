"""Log file under the user's data folder: every error shown in a dialog is written here with its details."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from melodygan_desktop import paths

LOG_FILE_NAME = "melodygan-desktop.log"


def configure_logging(log_dir: Path | None = None, level: int = logging.INFO) -> Path:
    """Send the ``melodygan_desktop`` loggers to a rotating file (1 MB x 3) and return its path.

    Called once by ``app.main``; calling it again replaces the previous file handler.
    """
    folder = Path(log_dir) if log_dir is not None else paths.log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / LOG_FILE_NAME
    logger = logging.getLogger("melodygan_desktop")
    for handler in list(logger.handlers):
        if getattr(handler, "_melodygan_file", False):
            logger.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(
        log_path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    # Escaping: file names and meta.json strings in messages never write control characters to the log.
    layout = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
    handler.setFormatter(paths.EscapingFormatter(layout))
    handler._melodygan_file = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    return log_path
