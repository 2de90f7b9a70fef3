"""The public surface of ledgerbridge.mapping, pinned: names, layering and call style."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import ledgerbridge.mapping as mapping


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_importable() -> None:
    """__all__ is sorted, public and complete."""
    assert list(mapping.__all__) == sorted(mapping.__all__, key=isort_style)
    assert all(hasattr(mapping, name) for name in mapping.__all__)


def test_mapping_imports_only_the_model_and_the_root_error() -> None:
    """Mapping is pure: no store, no QBO client, no emulator (ARCHITECTURE.md layers)."""
    package = Path(inspect.getfile(mapping)).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.level == 0
                and node.module.startswith("ledgerbridge")
            ):
                assert node.module in ("ledgerbridge.model", "ledgerbridge._errors"), path.name


def test_mappers_take_everything_but_the_record_by_keyword() -> None:
    """map_x(record, *, settings, refs, ...): only the record is positional."""
    mappers = [name for name in mapping.__all__ if name.startswith("map_")]
    assert len(mappers) == 13
    for name in mappers:
        parameters = list(inspect.signature(getattr(mapping, name)).parameters.values())
        assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:]), name
        assert {"settings", "refs"} <= {p.name for p in parameters}, name


def test_name_functions_take_the_kind_by_keyword() -> None:
    """qbo_name(name, *, kind)."""
    kind = inspect.signature(mapping.qbo_name).parameters["kind"]
    assert kind.kind is inspect.Parameter.KEYWORD_ONLY
