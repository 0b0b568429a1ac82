"""Error messages for people: the core's exceptions already read as sentences, so the app shows their text,
never a Python class name in front of it (the traceback, with the class, goes to the log file)."""

from __future__ import annotations

#: Exceptions that mean a bug, not a problem with the user's files or machine: their text alone says nothing.
_INTERNAL = (
    AssertionError,
    AttributeError,
    IndexError,
    KeyError,
    NameError,
    NotImplementedError,
    RecursionError,
    TypeError,
    ZeroDivisionError,
)


def user_message(exc: BaseException) -> str:
    """What to tell the user about ``exc``: its own sentence, without ``"SomeError: "`` in front.

    OSErrors read ``"Permission denied: /path"`` instead of ``"[Errno 13] Permission denied: '/path'"``;
    programming errors (and exceptions without a message) say that something unexpected went wrong.
    """
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        return f"{exc.strerror}: {where}" if where != "" else str(exc.strerror)
    text = str(exc).strip()
    if isinstance(exc, _INTERNAL) or not text:
        detail = f" ({type(exc).__name__}{': ' + text if text else ''})"
        return f"something unexpected went wrong{detail}; the log file has the details"
    return text
