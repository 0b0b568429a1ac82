"""Exit codes and the errors the CLI reports as one clear line instead of a traceback."""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def known_errors() -> tuple[type[BaseException], ...]:
    """Exceptions whose message is already a complete, user-facing sentence."""
    from ..audio.io import AudioReadError
    from ..checkpoints import CheckpointError
    from ..config import ConfigError
    from ..data.prepared import DataFolderError, NoUsableAudioError
    from ..inference import UnknownGenreError
    from ..models.presets import UnknownPresetError
    from ..training.errors import TrainingError

    return (
        AudioReadError, CheckpointError, ConfigError, UnknownGenreError, UnknownPresetError,
        DataFolderError, NoUsableAudioError, TrainingError, OSError, ValueError,
    )
