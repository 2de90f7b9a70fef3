"""The public surface of ledgerbridge.qbo, pinned: names, keyword-only arguments, types."""

from __future__ import annotations

import inspect

import ledgerbridge.qbo as qbo
from ledgerbridge.qbo import QBOClient


def isort_style(name: str) -> tuple[int, str]:
    """Ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_importable() -> None:
    assert list(qbo.__all__) == sorted(qbo.__all__, key=isort_style)
    assert all(hasattr(qbo, name) for name in qbo.__all__)
    assert all(not name.startswith("_") for name in qbo.__all__)


def test_client_options_are_keyword_only() -> None:
    """Only the realm is positional: everything else is named at the call site."""
    parameters = inspect.signature(QBOClient).parameters
    positional = [p.name for p in parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == ["realm_id"]
    assert {"base_url", "tokens", "gate", "retry", "http", "transport", "timeout"} <= set(
        parameters
    )


def test_write_options_are_keyword_only() -> None:
    """request_id and sparse are never passed by position by mistake."""
    for method in (
        qbo._resources.WritableResource.create,
        qbo._resources.WritableResource.update,
        qbo._resources.NameListResource.deactivate,
        qbo._resources.TransactionResource.delete,
        qbo._resources.VoidableResource.void,
    ):
        parameters = inspect.signature(method).parameters
        assert parameters["request_id"].kind is inspect.Parameter.KEYWORD_ONLY
    assert (
        inspect.signature(qbo._resources.WritableResource.update).parameters["sparse"].kind
        is inspect.Parameter.KEYWORD_ONLY
    )


def test_the_package_is_typed() -> None:
    """py.typed ships, and the public callables are annotated throughout."""
    import importlib.resources

    assert importlib.resources.files("ledgerbridge").joinpath("py.typed").is_file()
    for name in ("error_from_response", "error_from_transport", "error_from_fault", "select"):
        signature = inspect.signature(getattr(qbo, name))
        assert signature.return_annotation is not inspect.Signature.empty
        assert all(
            p.annotation is not inspect.Signature.empty for p in signature.parameters.values()
        )
