"""Model card and About dialogs: what a model was trained on, its licence and metrics; app versions."""

from __future__ import annotations

import importlib.metadata
import json
import platform
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

import melodygan_desktop

VERSION_PACKAGES = (
    "PySide6",
    "pyqtgraph",
    "numpy",
    "torch",
    "torchaudio",
    "soundfile",
    "soxr",
    "sounddevice",
    "safetensors",
)
_LICENCE_WORDS = ("licen", "copying", "credit", "attribution", "corpus", "notice")


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def model_card_markdown(model: Any) -> str:
    """The model's card: its markdown file when it has one, else what ``meta.json`` says, else the basics."""
    card_path = getattr(model, "card_markdown_path", None)
    if card_path and Path(card_path).is_file():
        return Path(card_path).read_text(encoding="utf-8", errors="replace")
    lines = [
        f"# {model.name}",
        "",
        f"- preset: `{model.preset}`",
        f"- genres: {', '.join(model.genres) or '—'}",
        f"- bundled with the app: {'yes' if model.bundled else 'no'}",
        f"- folder: `{model.path}`",
    ]
    meta_path = Path(model.path) / "meta.json"
    if meta_path.is_file():
        try:
            card = json.loads(meta_path.read_text(encoding="utf-8")).get("card") or {}
        except (OSError, ValueError):
            card = {}
        for key, value in card.items():
            lines.append(f"- {key}: {value}")
    return "\n".join(lines) + "\n"


def resource_licence_files(resources: Path) -> list[Path]:
    """Licence, credit and corpus documents under ``resources`` (markdown, text and TSV)."""
    if not resources.is_dir():
        return []
    found = [
        path
        for path in sorted(resources.rglob("*"))
        if path.is_file()
        and path.suffix.lower() in (".md", ".txt", ".tsv", "")
        and any(word in path.name.lower() for word in _LICENCE_WORDS)
    ]
    return found[:50]


def versions_markdown() -> str:
    lines = [
        "# MELodyGAN Desktop",
        "",
        f"Version **{melodygan_desktop.__version__}**",
        "",
        "Genre-conditioned mel-spectrogram GANs: generate, play, export and fine-tune music on your own "
        "machine.",
        "",
        "## Versions",
        "",
        f"- Python {platform.python_version()} ({platform.platform()})",
    ]
    lines += [f"- {name} {package_version(name)}" for name in VERSION_PACKAGES]
    return "\n".join(lines) + "\n"


def _browser(markdown: str) -> QTextBrowser:
    browser = QTextBrowser()
    browser.setOpenExternalLinks(True)
    browser.setMarkdown(markdown)
    return browser


class ModelCardDialog(QDialog):
    def __init__(self, model: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Model card — {model.name}")
        self.resize(640, 560)
        self.browser = _browser(model_card_markdown(model))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)


def component_cards(checkpoints_dir: Path | None) -> list[str]:
    """The cards (``card.md``) of the bundled networks the app uses besides its generators: the vocoder
    (the ``vocoder`` mel-to-audio method), the mel codec (``melodygan-latent``'s first stage) and the genre
    classifier (held-out scores of training runs), in that order; those not installed are left out."""
    if checkpoints_dir is None:
        return []
    # Imported here: these modules bring torch, which the window must not wait for at start-up.
    from melodygan_desktop.checkpoints.codec_files import BUNDLED_CODEC
    from melodygan_desktop.checkpoints.vocoder_files import BUNDLED_VOCODER
    from melodygan_desktop.evaluation.classifier_files import BUNDLED_NAME as BUNDLED_CLASSIFIER

    names = (BUNDLED_VOCODER, BUNDLED_CODEC, BUNDLED_CLASSIFIER)
    cards = (Path(checkpoints_dir) / name / "card.md" for name in names)
    return [card.read_text(encoding="utf-8", errors="replace") for card in cards if card.is_file()]


class AboutDialog(QDialog):
    """Versions, then the cards of the bundled models and of the other bundled networks, then the licences
    of their training music."""

    def __init__(self, models: list[Any], resources: Path, parent: QWidget | None = None,
                 checkpoints_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About MELodyGAN Desktop")
        self.resize(720, 600)
        self.tabs = QTabWidget()
        self.tabs.addTab(_browser(versions_markdown()), "About")
        bundled = [model for model in models if model.bundled]
        cards = "\n\n---\n\n".join(model_card_markdown(model) for model in bundled)
        self.tabs.addTab(_browser(cards or "No bundled model found."), "Bundled models")
        components = "\n\n---\n\n".join(component_cards(checkpoints_dir))
        if components:
            self.tabs.addTab(_browser(components), "Vocoder and helpers")
        documents = resource_licence_files(resources)
        texts = []
        for path in documents:
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix.lower() != ".md":
                text = "```\n" + text + "\n```"
            texts.append(f"## {path.relative_to(resources)}\n\n{text}")
        self.tabs.addTab(
            _browser("\n\n".join(texts) or f"No licence files under {resources}."), "Music and licences"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
