"""Commands from other packages (the ``melodygan.commands`` entry points): the lab's commands reach
``melodygan`` in a development install, and a broken plug-in is reported and left out while every other
command keeps working."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest

from melodygan_desktop.cli import build_parser, main, plugins

LAB_COMMANDS = {"evaluate", "classifier", "judge", "corpus"}
PRODUCT_COMMANDS = {"generate", "train", "prepare", "list", "export", "codec"}
PLUGIN_MODULE = '''
def good(subparsers):
    p = subparsers.add_parser("hello", help="says hello")
    p.set_defaults(handler=lambda args: print("hello from a plug-in") or 0)


def half_way(subparsers):
    subparsers.add_parser("half", help="registers, then fails")
    raise RuntimeError("plug-in bug")


def adds_nothing(subparsers):
    pass


def clash(subparsers):
    subparsers.add_parser("generate")
'''


def commands(parser) -> set[str]:
    return set(parser._subparsers._group_actions[0].choices)


def test_the_lab_commands_are_declared_plug_ins():
    declared = {e.name: e.value for e in plugins.plugin_entry_points()}
    assert LAB_COMMANDS <= set(declared), declared
    assert all(declared[name].startswith("melodygan_lab.cli.") for name in LAB_COMMANDS)
    assert commands(build_parser()) >= PRODUCT_COMMANDS | LAB_COMMANDS


def test_melodygan_runs_lab_commands_and_melodygan_lab_runs_them_alone(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["corpus", "build", "--help"])
    assert stop.value.code == 0 and "usage: melodygan corpus build" in capsys.readouterr().out

    from melodygan_lab.cli import build_parser as lab_parser

    assert commands(lab_parser()) == LAB_COMMANDS
    result = subprocess.run([sys.executable, "-c", "from melodygan_lab.cli import main; main(['--help'])"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "usage: melodygan-lab" in result.stdout, result.stderr


@pytest.fixture
def fake_plugins(tmp_path, monkeypatch):
    """Entry points of the plug-in group: one good, and every way to be broken."""
    (tmp_path / "fake_melodygan_plugin.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    group = plugins.GROUP
    found = [
        EntryPoint("hello", "fake_melodygan_plugin:good", group),
        EntryPoint("missing", "no_such_melodygan_plugin.cli:register", group),
        EntryPoint("half", "fake_melodygan_plugin:half_way", group),
        EntryPoint("nothing", "fake_melodygan_plugin:adds_nothing", group),
        EntryPoint("generate", "fake_melodygan_plugin:clash", group),
        EntryPoint("typo", "fake_melodygan_plugin:no_such_function", group),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda group: [e for e in found if e.group == group])


def test_a_broken_plug_in_is_reported_and_the_rest_keeps_working(fake_plugins, capsys, tmp_path):
    parser = build_parser()
    errors = capsys.readouterr().err
    names = commands(parser)
    assert names >= PRODUCT_COMMANDS | {"hello"} and not names & {"missing", "half", "nothing", "typo"}
    for name, why in [("missing", "ModuleNotFoundError"), ("half", "RuntimeError: plug-in bug"),
                      ("nothing", "did not add"), ("generate", "already exists"), ("typo", "AttributeError")]:
        assert f"melodygan: warning: command plug-in {name!r}" in errors and why in errors, errors
    help_text = parser.format_help()
    assert "half" not in help_text and "hello" in help_text

    assert main(["hello"]) == 0
    assert "hello from a plug-in" in capsys.readouterr().out
    # the built-in commands still parse and run (a one-line error, not a traceback)
    assert main(["train", str(tmp_path / "nowhere")]) == 2
    assert "melodygan: error:" in capsys.readouterr().err


def test_no_plug_ins_leaves_the_product_commands(monkeypatch, capsys):
    """The desktop bundle's case: the lab is not installed, so only the product's commands exist."""
    monkeypatch.setattr(plugins, "entry_points", lambda group: [])
    names = commands(build_parser())
    assert names >= PRODUCT_COMMANDS and not names & LAB_COMMANDS
    assert capsys.readouterr().err == ""
