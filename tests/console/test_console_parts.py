"""The console's pure parts: the settings form both ways, and the SVG charts."""

from __future__ import annotations

import re
from datetime import date

import pytest
from starlette.datastructures import FormData

from ledgerbridge.model import PaymentMethodSetting, TenantSettings
from ledgerbridge.web.console._charts import Bar, Column, Series, bars, columns, nice_ceiling
from ledgerbridge.web.console._settings_form import SECTIONS, fields, read_form

# -- the settings form ----------------------------------------------------------------------------


def _posted(settings: TenantSettings) -> FormData:
    """What a browser posts for a page showing ``settings`` (each input as the page fills
    it; mapping rows plus their empty new row)."""
    items: list[tuple[str, str]] = []
    for section in fields(settings.model_dump(mode="json")):
        for view in section.fields:
            if view.kind == "checks":
                items += [(view.name, value) for value in sorted(view.value)]
            elif view.kind == "bool":
                items += [(view.name, "true")] if view.value else []
            elif view.kind == "templates":
                items += [
                    (f"{view.name}.{key}", view.value.get(key, "")) for key, _ in view.labelled
                ]
            elif view.kind == "mapping":
                for key, value in view.rows:
                    items += [(f"{view.name}.key", key), (f"{view.name}.value", value)]
            elif view.kind == "methods":
                for key, sync, qbo in view.rows:
                    items += [
                        (f"{view.name}.key", key),
                        (f"{view.name}.sync", "true" if sync else "false"),
                        (f"{view.name}.qbo", qbo or ""),
                    ]
            else:
                items.append((view.name, "" if view.value is None else str(view.value)))
    return FormData(items)


def test_the_form_shows_every_setting_of_the_engine() -> None:
    """Every TenantSettings field but sync_enabled (the Integrations page's switch) has an
    input, once."""
    shown = [spec.name for _, _, specs in SECTIONS for spec in specs]
    assert len(shown) == len(set(shown))
    assert set(shown) == set(TenantSettings.model_fields) - {"sync_enabled"}


@pytest.mark.parametrize(
    "settings",
    [
        TenantSettings(),
        TenantSettings(
            enabled_types=frozenset({"customer", "invoice", "payment"}),
            sync_start_date=date(2026, 1, 1),
            refund_account="Checking",
            payment_methods={
                "Card": PaymentMethodSetting(sync=False),
                "Check": PaymentMethodSetting(qbo_method="Cheque"),
            },
            create_missing_payment_methods=True,
            customer_object="sub_customer_per_project",
            project_stage_trigger="Closed - Won",
            inventory_mode="app_master",
            doc_number_templates={"purchase_order": "PO-{number}"},
            tax_codes={"CA": "TAX", "EXEMPT": "NON"},
            sync_zero_invoices=True,
            deposit_accounts={"Card": "Checking"},
            payment_direction="qbo_to_app",
            auto_sync=frozenset({"invoice"}),
            schedule_minutes=15,
        ),
    ],
    ids=["defaults", "every-setting-changed"],
)
def test_a_form_posted_unchanged_gives_the_settings_it_showed(settings: TenantSettings) -> None:
    """Showing settings and posting the page back reads the same settings."""
    document, problems = read_form(_posted(settings))
    assert problems == {}
    assert TenantSettings(**document, sync_enabled=True) == settings


def test_bad_values_are_named_at_their_fields() -> None:
    """Each problem of a posted form lands at its own field, in words."""
    form = list(_posted(TenantSettings()).multi_items())
    form = [(k, v) for k, v in form if k not in ("schedule_minutes", "doc_number_templates.bill")]
    form += [
        ("schedule_minutes", "every hour"),
        ("doc_number_templates.bill", "BILL-{number}-{year}"),
        ("tax_codes.key", "CA"),
        ("tax_codes.value", "TAX"),
        ("tax_codes.key", "CA"),
        ("tax_codes.value", "NON"),
    ]
    _, problems = read_form(FormData(form))
    assert problems["schedule_minutes"] == ["'every hour' is not a whole number of minutes"]
    assert problems["tax_codes"] == ["'CA' is listed twice"]
    _, problems = read_form(
        FormData([(k, v) for k, v in form if not k.startswith(("tax_codes", "schedule"))])
    )
    assert list(problems) == ["doc_number_templates"]
    assert "{number}" in problems["doc_number_templates"][0]


# -- charts ---------------------------------------------------------------------------------------
OUTCOMES = (Series("succeeded", "succeeded"), Series("failed", "failed"))


def test_axis_tops_are_round_numbers() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 11, 480, 1660)] == [1, 1, 5, 10, 20, 500, 2000]


def test_columns_stack_their_outcomes_and_draw_the_limit_to_scale() -> None:
    """Each outcome is a rectangle with its count in the pointer's title; a limit near the
    data is a dashed line; everything is labelled for screen readers."""
    svg = columns(
        [Column("10:00", (300, 20)), Column("", (100, 0), title="10:01")],
        OUTCOMES,
        title="Writes",
        limit=500,
        limit_label="limit 500",
    )
    assert "<title>10:00 succeeded: 300</title>" in svg
    assert "<title>10:01 succeeded: 100</title>" in svg
    assert "<title>10:01 failed" not in svg  # nothing drawn for zero
    assert re.search(r'<line class="limit"[^>]*y1="(\d+\.\d)"', svg)
    assert 'aria-label="Writes: 420 in 2 columns; limit 500"' in svg


def test_a_limit_far_above_the_data_is_said_not_drawn() -> None:
    """A ceiling 50 times the busiest minute would flatten every column: the axis follows
    the data and the limit is given in words with the share used."""
    svg = columns([Column("10:00", (20, 0))], OUTCOMES, title="Writes", limit=1000, limit_label="L")
    assert 'class="limit"' not in svg
    assert "off the scale: the busiest minute used 2.0 %" in svg
    assert ">20</text>" in svg  # the axis tops at the data


def test_bars_escape_what_they_are_given() -> None:
    """Labels are data: markup in them is shown, never run."""
    svg = bars([Bar("<script>alert(1)</script>", 3)], title="Errors")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_columns_refuse_a_column_without_a_value_per_series() -> None:
    with pytest.raises(ValueError, match="one value per series"):
        columns([Column("x", (1,))], OUTCOMES, title="Writes")
