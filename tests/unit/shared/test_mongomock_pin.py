"""The stand-in's fast path leans on mongomock's private parts: pinned, and checked loudly."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from shared.database import fastpath

PYPROJECT = (Path(__file__).parents[3] / "pyproject.toml").read_text(encoding="utf-8")


def test_pyproject_pins_the_mongomock_release_the_fast_path_was_tested_on() -> None:
    pins = re.findall(r'"mongomock==([^"]+)"', PYPROJECT)
    assert pins == [fastpath.TESTED_MONGOMOCK]


def test_the_installed_mongomock_still_has_the_private_parts_the_stand_in_uses() -> None:
    # Fails, naming what moved, the day mongomock is upgraded under the stand-in.
    assert version("mongomock") == fastpath.TESTED_MONGOMOCK
    assert fastpath.private_api_problems() == []


def test_install_refuses_another_mongomock_release(monkeypatch: pytest.MonkeyPatch) -> None:
    was_installed = fastpath.enabled()
    fastpath.uninstall()
    monkeypatch.setattr(fastpath, "TESTED_MONGOMOCK", "0.0.1")
    try:
        with pytest.raises(fastpath.MongomockMoved, match=r"tested on 0\.0\.1"):
            fastpath.install()
        assert not fastpath.enabled()
    finally:
        monkeypatch.undo()
        if was_installed:
            fastpath.install()


def test_install_refuses_a_moved_private_method(monkeypatch: pytest.MonkeyPatch) -> None:
    was_installed = fastpath.enabled()
    fastpath.uninstall()

    def moved(self: object, filter: object, projection: object) -> None:
        return None

    monkeypatch.setattr(fastpath._MockCollection, "_iter_documents", moved)
    try:
        with pytest.raises(fastpath.MongomockMoved, match="no longer takes"):
            fastpath.install()
    finally:
        monkeypatch.undo()
        if was_installed:
            fastpath.install()
