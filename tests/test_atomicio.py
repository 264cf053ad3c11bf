"""Atomic writes keep or give sensible permissions (mkstemp alone would make every file 0600)."""

import os
import stat
from pathlib import Path

from modelkit import atomicio


def test_new_file_mode_follows_umask(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    atomicio.write_text(target, "<html></html>")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_text() == "<html></html>"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp file left


def test_replacing_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "modelkit.lock"
    target.write_text("old")
    target.chmod(0o640)
    atomicio.write_json(target, {"version": 1})
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text().startswith("{")
