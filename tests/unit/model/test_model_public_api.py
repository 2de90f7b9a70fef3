"""The public surface of ledgerbridge.model, pinned: names, layering and typing."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import ledgerbridge.model as model


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_importable() -> None:
    """__all__ is sorted, public and complete."""
    assert list(model.__all__) == sorted(model.__all__, key=isort_style)
    assert all(hasattr(model, name) for name in model.__all__)
    assert all(not name.startswith("_") for name in model.__all__)


def test_model_imports_nothing_else_of_ledgerbridge() -> None:
    """The bottom layer stands alone (ARCHITECTURE.md)."""
    package = Path(inspect.getfile(model)).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                assert not node.module.startswith("ledgerbridge"), (path.name, node.module)


def test_public_functions_are_annotated() -> None:
    """Every public function has annotations for its arguments and result."""
    for name in (
        "parse_record",
        "parse_ndjson",
        "record_schema",
        "content_hash",
        "settings_schema",
    ):
        signature = inspect.signature(getattr(model, name))
        assert signature.return_annotation is not inspect.Signature.empty
        assert all(
            p.annotation is not inspect.Signature.empty for p in signature.parameters.values()
        )


def test_eligibility_options_are_keyword_only() -> None:
    """created_at and linked are named at the call site."""
    parameters = inspect.signature(model.TenantSettings.skip_reason).parameters
    assert parameters["created_at"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["linked"].kind is inspect.Parameter.KEYWORD_ONLY
