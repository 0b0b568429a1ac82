"""Runtime hook (frozen app only): lets ``sounddevice`` find PortAudio on Linux.

``sounddevice`` looks PortAudio up with ``ctypes.util.find_library("portaudio")`` only, which sees the
system's libraries but never the bundle. The system's ``libportaudio2`` is used when present; otherwise the
copy shipped in the bundle is. PortAudio's own dependencies (ALSA's ``libasound``, JACK's ``libjack``) always
come from the system; when they are missing, loading fails with ``OSError`` and the app reports "no audio
output" instead of playing, as it does on any machine without PortAudio.
"""


def _install_portaudio_fallback() -> None:
    import ctypes.util
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return
    bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "libportaudio.so.2")
    system_find_library = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        found = system_find_library(name)
        if found is None and name == "portaudio" and os.path.isfile(bundled):
            return bundled
        return found

    ctypes.util.find_library = find_library


_install_portaudio_fallback()
