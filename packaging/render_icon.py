"""Renders ``resources/icons/melodygan.svg`` to the PNG icons the desktop entry and the window use.

Usage: ``python packaging/render_icon.py [SIZE ...]`` (default 256); writes ``resources/icons/melodygan.png``
for 256 and ``melodygan-<SIZE>.png`` for other sizes. Uses Qt's SVG renderer, so it runs without a display.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
DEFAULT_SIZE = 256


def render(svg_path: Path, png_path: Path, size: int) -> None:
    """Draw ``svg_path`` into a transparent ``size`` x ``size`` pixel PNG at ``png_path``."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["render_icon"])
    renderer = QSvgRenderer(str(svg_path))
    if not renderer.isValid():
        raise SystemExit(f"{svg_path}: not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png_path), "PNG"):
        raise SystemExit(f"{png_path}: could not write the PNG file")


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sizes = [int(arg) for arg in argv] or [DEFAULT_SIZE]
    for size in sizes:
        name = "melodygan.png" if size == DEFAULT_SIZE else f"melodygan-{size}.png"
        render(ICONS / "melodygan.svg", ICONS / name, size)
        print(f"wrote {ICONS / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
