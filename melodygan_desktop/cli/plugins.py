"""Commands from other packages: the ``melodygan.commands`` entry-point group.

The protocol: a distribution declares, in its ``pyproject.toml``,

    [project.entry-points."melodygan.commands"]
    evaluate = "melodygan_lab.cli.evaluate:add_evaluate_subparser"

Each entry point names a function ``register(subparsers) -> None`` that adds its subcommand with
``subparsers.add_parser(NAME, ...)`` (NAME is the entry point's name) and gives every runnable parser a
``handler(args) -> int`` through ``set_defaults``; the handler may raise ``CliError`` (and the errors of
``errors.known_errors``) like the built-in commands. Register only: import heavy modules inside the handler,
so ``melodygan --help`` stays fast.

Plug-ins are added after the built-in commands, sorted by name. One that fails to load or to register, or
that names a command already there, is reported on stderr and left out; the other commands keep working.
The desktop bundle ships none (the lab is not in it), so there the list is simply shorter.
"""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint, entry_points

GROUP = "melodygan.commands"


def plugin_entry_points(group: str = GROUP) -> list[EntryPoint]:
    """The group's entry points, sorted by name (one per name: the first found wins)."""
    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=group):
        found.setdefault(entry.name, entry)
    return [found[name] for name in sorted(found)]


def add_plugin_commands(subparsers, prog: str = "melodygan", group: str = GROUP) -> list[str]:
    """Register every plug-in command on ``subparsers``; the names of those that registered."""
    added = []
    for entry in plugin_entry_points(group):
        if entry.name in subparsers.choices:
            _warn(prog, entry, "a command of that name already exists")
            continue
        try:
            register = entry.load()
            register(subparsers)
        except Exception as exc:  # a broken plug-in must not take the other commands down with it
            subparsers.choices.pop(entry.name, None)
            _drop_help(subparsers, entry.name)
            _warn(prog, entry, f"{type(exc).__name__}: {exc}")
            continue
        if entry.name not in subparsers.choices:
            _warn(prog, entry, f"it did not add a {entry.name!r} command")
            continue
        added.append(entry.name)
    return added


def _drop_help(subparsers, name: str) -> None:
    """Forget the help line of a command that failed half-way through registering."""
    actions = getattr(subparsers, "_choices_actions", None)
    if isinstance(actions, list):
        actions[:] = [a for a in actions if getattr(a, "dest", None) != name]


def _warn(prog: str, entry: EntryPoint, why: str) -> None:
    print(f"{prog}: warning: command plug-in {entry.name!r} ({entry.value}) left out: {why}", file=sys.stderr)


__all__ = ["GROUP", "add_plugin_commands", "plugin_entry_points"]

