"""The emulator's QBO query language: parsing, validation faults and evaluation over rows."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ledgerbridge.emulator._faults import FaultError
from ledgerbridge.emulator._query import (
    Condition,
    OrderKey,
    Query,
    count_query,
    matches,
    parse_query,
    run_query,
)

ZONE = ZoneInfo("America/Los_Angeles")
ENTITIES = frozenset({"Customer", "Invoice", "SalesReceipt", "Vendor", "Item"})


def parse(text: str) -> Query:
    return parse_query(text, ENTITIES)


def run(text: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return run_query(parse(text), rows, ZONE)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["Id"] for row in rows]


def fault_of(text: str, entities: frozenset[str] = ENTITIES) -> FaultError:
    with pytest.raises(FaultError) as caught:
        parse_query(text, entities)
    return caught.value


def assert_invalid(fault: FaultError, detail: str) -> None:
    assert fault.status == 400
    assert fault.code == "4001"
    assert fault.errors[0].message == "Invalid query"
    assert fault.errors[0].detail == f"QueryValidationError: {detail}"


def customers() -> list[dict[str, Any]]:
    return [
        {
            "Id": "1",
            "DisplayName": "Amy's Bird Sanctuary",
            "Active": True,
            "Balance": Decimal("239.00"),
            "PrimaryEmailAddr": {"Address": "Birds@Intuit.com"},
            "PrimaryPhone": {"FreeFormNumber": "(650) 555-3311"},
            "MetaData": {
                "CreateTime": "2020-09-20T16:48:43-07:00",
                "LastUpdatedTime": "2020-09-29T05:58:07-07:00",
            },
        },
        {
            "Id": "2",
            "DisplayName": "Bill's Windsurf Shop",
            "Active": True,
            "Balance": Decimal("85.00"),
            "MetaData": {
                "CreateTime": "2020-09-20T16:49:28-07:00",
                "LastUpdatedTime": "2020-09-27T12:00:00-07:00",
            },
        },
        {
            "Id": "3",
            "DisplayName": "Cool Cars",
            "Active": False,
            "Balance": 0,
            "MetaData": {
                "CreateTime": "2020-09-20T16:51:22-07:00",
                "LastUpdatedTime": "2020-09-30T10:00:00Z",
            },
        },
        {
            "Id": "10",
            "DisplayName": "Diego Rodriguez",
            "Active": True,
            "Balance": Decimal("-5"),
            "MetaData": {
                "CreateTime": "2020-09-20T16:52:08-07:00",
                "LastUpdatedTime": "2020-09-28T00:00:00-07:00",
            },
        },
        {
            "Id": "21",
            "DisplayName": "dukes_basketball",
            "Active": True,
            "MetaData": {
                "CreateTime": "2020-09-20T16:53:01-07:00",
                "LastUpdatedTime": "2020-09-29T06:00:00-07:00",
            },
        },
    ]


def invoices() -> list[dict[str, Any]]:
    return [
        {
            "Id": "130",
            "DocNumber": "1037",
            "TxnDate": "2024-01-31",
            "TotalAmt": Decimal("362.07"),
            "CustomerRef": {"value": "5", "name": "Amy's Bird Sanctuary"},
        },
        {
            "Id": "96",
            "DocNumber": "007",
            "TxnDate": "2023-12-15",
            "TotalAmt": Decimal("300.00"),
            "CustomerRef": {"value": "7", "name": "Cool Cars"},
        },
        {
            "Id": "9",
            "DocNumber": "1002",
            "TxnDate": "2024-02-01",
            "TotalAmt": Decimal("50"),
            "CustomerRef": {"value": "5", "name": "Amy's Bird Sanctuary"},
        },
        {
            "Id": "131",
            "DocNumber": "A-12",
            "TxnDate": "2024-01-01",
            "TotalAmt": 1200,
            "CustomerRef": {"value": "12", "name": "Sushi by Katsuyuki"},
        },
    ]


# --------------------------------------------------------------------------------------------
# Parsing


def test_select_star_defaults() -> None:
    """A bare SELECT * yields the canonical entity, no filters, STARTPOSITION 1, MAXRESULTS 100."""
    assert parse("SELECT * FROM Customer") == Query(
        entity="Customer",
        count=False,
        fields=None,
        conditions=(),
        order_by=(),
        start_position=1,
        max_results=100,
    )


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM Customer WHERE Active = true ORDERBY DisplayName ASC "
        "STARTPOSITION 1 MAXRESULTS 1000",
        "select * from Customer where Active = true orderby DisplayName asc "
        "startposition 1 maxresults 1000",
        "SeLeCt * FrOm Customer WhErE Active = TRUE OrderBy DisplayName Asc "
        "StartPosition 1 MaxResults 1000",
    ],
)
def test_keywords_are_case_insensitive(text: str) -> None:
    """Keywords parse the same in upper, lower and mixed case (node sends lower case)."""
    query = parse(text)
    assert query.conditions == (Condition("Active", "=", True),)
    assert query.order_by == (OrderKey("DisplayName", descending=False),)
    assert (query.start_position, query.max_results) == (1, 1000)


@pytest.mark.parametrize("written", ["customer", "CUSTOMER", "cUsToMeR", "Customer"])
def test_entity_resolves_to_canonical_spelling(written: str) -> None:
    """The entity is matched case-insensitively and reported in the caller's spelling."""
    assert parse(f"select * from {written}").entity == "Customer"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM Customer STARTPOSITION 11 MAXRESULTS 5",
        "SELECT * FROM Customer MAXRESULTS 5 STARTPOSITION 11",
    ],
)
def test_paging_clauses_in_either_order(text: str) -> None:
    """STARTPOSITION and MAXRESULTS are accepted in either order."""
    query = parse(text)
    assert (query.start_position, query.max_results) == (11, 5)


def test_only_start_position_keeps_default_max_results() -> None:
    """STARTPOSITION alone leaves MAXRESULTS at its default of 100."""
    query = parse("SELECT * FROM Customer STARTPOSITION 6")
    assert (query.start_position, query.max_results) == (6, 100)


def test_only_max_results_keeps_default_start_position() -> None:
    """MAXRESULTS alone leaves STARTPOSITION at its default of 1."""
    query = parse("SELECT * FROM Customer MAXRESULTS 1000")
    assert (query.start_position, query.max_results) == (1, 1000)


@pytest.mark.parametrize("keyword", ["ORDERBY", "ORDER BY", "order by", "Order  By"])
def test_order_by_one_or_two_words(keyword: str) -> None:
    """ORDERBY and ORDER BY (any spacing and case) mean the same thing."""
    query = parse(f"SELECT * FROM Invoice {keyword} TxnDate DESC")
    assert query.order_by == (OrderKey("TxnDate", descending=True),)


def test_multi_key_order_by_with_directions() -> None:
    """Several ORDERBY keys keep their order and each its own direction (ASC by default)."""
    query = parse("SELECT * FROM Invoice ORDERBY CustomerRef DESC, TxnDate, Id ASC")
    assert query.order_by == (
        OrderKey("CustomerRef", descending=True),
        OrderKey("TxnDate", descending=False),
        OrderKey("Id", descending=False),
    )


def test_count_star() -> None:
    """SELECT COUNT(*) sets count and projects nothing."""
    query = parse("SELECT COUNT( * ) FROM Invoice WHERE TotalAmt > '100'")
    assert query.count is True
    assert query.fields is None
    assert query.conditions == (Condition("TotalAmt", ">", "100"),)


def test_projection_field_list() -> None:
    """A field list is kept in order, dotted names included."""
    query = parse("SELECT Id, DisplayName, MetaData.LastUpdatedTime FROM Customer")
    assert query.fields == ("Id", "DisplayName", "MetaData.LastUpdatedTime")
    assert query.count is False


def test_trailing_semicolon_is_tolerated() -> None:
    """One trailing semicolon is ignored."""
    assert parse("SELECT * FROM Customer;") == parse("SELECT * FROM Customer")


def test_whitespace_and_newlines_are_insignificant() -> None:
    """Tabs, newlines and extra spaces between tokens do not change the query."""
    text = "SELECT *\n\tFROM   Customer\nWHERE  Id =\t'1'\n  MAXRESULTS 5 "
    assert parse(text) == parse("SELECT * FROM Customer WHERE Id = '1' MAXRESULTS 5")


def test_backslash_escaped_quote() -> None:
    """A backslash-escaped quote is part of the string value."""
    query = parse(r"SELECT * FROM Customer WHERE DisplayName = 'Amy\'s Bird Sanctuary'")
    assert query.conditions == (Condition("DisplayName", "=", "Amy's Bird Sanctuary"),)


def test_escaped_backslash() -> None:
    """A doubled backslash is one literal backslash, and may end the string."""
    query = parse(r"SELECT * FROM Customer WHERE DisplayName = 'C:\\temp\\'")
    assert query.conditions[0].value == "C:\\temp\\"


def test_double_quoted_string() -> None:
    """Double-quoted strings are accepted and may hold an unescaped single quote."""
    query = parse('SELECT * FROM Customer WHERE DisplayName = "Amy\'s"')
    assert query.conditions[0].value == "Amy's"


def test_unicode_value() -> None:
    """Non-ASCII characters pass through string values unchanged."""
    query = parse("SELECT * FROM Customer WHERE DisplayName = 'Zoë Café 日本'")
    assert query.conditions[0].value == "Zoë Café 日本"


def test_value_types() -> None:
    """Unquoted numbers become Decimal, true/false become bool, quoted values stay strings."""
    query = parse(
        "SELECT * FROM Invoice WHERE TotalAmt >= 300.00 AND Balance > -5 AND Balance < .5 "
        "AND Active = TRUE AND Taxable = false AND DocNumber = '1037'"
    )
    assert [condition.value for condition in query.conditions] == [
        Decimal("300.00"),
        Decimal("-5"),
        Decimal("0.5"),
        True,
        False,
        "1037",
    ]
    assert isinstance(query.conditions[0].value, Decimal)


@pytest.mark.parametrize("operator", ["=", "<", ">", "<=", ">="])
def test_comparison_operators(operator: str) -> None:
    """Each comparison operator is recorded as written."""
    query = parse(f"SELECT * FROM Invoice WHERE TotalAmt {operator} '10'")
    assert query.conditions == (Condition("TotalAmt", operator, "10"),)


def test_operators_without_spaces() -> None:
    """Operators and values need no surrounding whitespace."""
    query = parse("SELECT * FROM Invoice WHERE TotalAmt>='10' AND Id IN('1','2')")
    assert query.conditions == (
        Condition("TotalAmt", ">=", "10"),
        Condition("Id", "IN", ("1", "2")),
    )


def test_in_list() -> None:
    """IN keeps every listed value, of mixed types, as a tuple."""
    query = parse("SELECT * FROM Customer WHERE Id in ('5', 6, true)")
    assert query.conditions == (Condition("Id", "IN", ("5", Decimal(6), True)),)


def test_like_condition() -> None:
    """LIKE keeps its pattern verbatim, wildcards and underscores included."""
    query = parse("SELECT * FROM Customer WHERE DisplayName like 'Amy%_x'")
    assert query.conditions == (Condition("DisplayName", "LIKE", "Amy%_x"),)


def test_dotted_property_names() -> None:
    """Dotted property paths are single names in conditions and ORDERBY."""
    query = parse(
        "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '2015-03-01' "
        "ORDERBY MetaData.LastUpdatedTime"
    )
    assert query.conditions[0].field == "MetaData.LastUpdatedTime"
    assert query.order_by[0].field == "MetaData.LastUpdatedTime"


def test_keyword_like_property_names() -> None:
    """Names that start with or equal a keyword are still property names where one is expected."""
    query = parse("SELECT * FROM Item WHERE Notes = 'x' AND Order = 1 AND Descending = 'y'")
    assert [condition.field for condition in query.conditions] == [
        "Notes",
        "Order",
        "Descending",
    ]


def test_parse_is_cached_per_text() -> None:
    """The same text and entities give back the very same Query object."""
    text = "SELECT * FROM Customer WHERE DisplayName = 'cached'"
    assert parse_query(text, ENTITIES) is parse_query(text, set(ENTITIES))


def test_entities_may_be_any_collection() -> None:
    """The entity collection can be a list; the match is still case-insensitive."""
    assert parse_query("select * from vendor", ["Vendor", "Bill"]).entity == "Vendor"


# --------------------------------------------------------------------------------------------
# Validation faults


def test_unknown_entity() -> None:
    """A misspelled entity is refused with the recorded 'invalid context declaration' detail."""
    assert_invalid(fault_of("SELECT * FROM Custmoer"), "invalid context declaration: Custmoer")


def test_unknown_entity_keeps_spelling_as_written() -> None:
    """The unknown-entity detail names the entity exactly as the client wrote it."""
    assert_invalid(fault_of("select * from custmoer"), "invalid context declaration: custmoer")


def test_start_position_zero() -> None:
    """STARTPOSITION 0 is refused with the recorded 'too small' detail."""
    assert_invalid(
        fault_of("SELECT * FROM Customer STARTPOSITION 0 MAXRESULTS 10"),
        "value 0 is too small. Min allowed value is 1",
    )


def test_start_position_negative() -> None:
    """A negative STARTPOSITION names the actual value in the 'too small' detail."""
    assert_invalid(
        fault_of("SELECT * FROM Customer STARTPOSITION -3"),
        "value -3 is too small. Min allowed value is 1",
    )


def test_max_results_above_limit() -> None:
    """MAXRESULTS 1001 is refused as too large (1000 is the maximum)."""
    assert_invalid(
        fault_of("SELECT * FROM Customer MAXRESULTS 1001"),
        "value 1001 is too large. Max allowed value is 1000",
    )


def test_max_results_zero() -> None:
    """MAXRESULTS 0 is refused as too small."""
    assert_invalid(
        fault_of("SELECT * FROM Customer MAXRESULTS 0"),
        "value 0 is too small. Min allowed value is 1",
    )


def test_max_results_not_an_integer() -> None:
    """A fractional MAXRESULTS is refused, pointing at the value."""
    assert_invalid(
        fault_of("SELECT * FROM Customer MAXRESULTS 1.5"),
        'Encountered "1.5" at line 1, column 35. Expected an integer.',
    )


def test_or_is_refused() -> None:
    """OR is refused with the position of the OR keyword."""
    assert_invalid(
        fault_of("SELECT * FROM Customer WHERE Id = '1' OR Id = '2'"),
        'Encountered "OR" at line 1, column 39. Only AND may join conditions; OR is not supported.',
    )


def test_lower_case_or_is_refused() -> None:
    """Lower-case or is refused too, quoted as written."""
    detail = fault_of("select * from Customer where Id = '1' and Id = '2' or Id = '3'")
    assert detail.errors[0].detail.startswith('QueryValidationError: Encountered "or" at line 1')


def test_not_is_refused() -> None:
    """NOT is refused with its position."""
    assert_invalid(
        fault_of("SELECT * FROM Customer WHERE NOT Active = true"),
        'Encountered "NOT" at line 1, column 30. NOT is not supported.',
    )


def test_parentheses_grouping_is_refused() -> None:
    """Parenthesised conditions are refused, pointing at the opening parenthesis."""
    assert_invalid(
        fault_of("SELECT * FROM Customer WHERE Active = true AND (Id = '1')"),
        'Encountered "(" at line 1, column 48. '
        "Grouping conditions with parentheses is not supported.",
    )


def test_not_equal_operator_filters_out_the_value() -> None:
    """!= keeps rows whose value differs (QBO accepts it though the docs omit it)."""
    rows = [{"Id": "1", "Name": "A"}, {"Id": "2", "Name": "B"}, {"Id": "3"}]
    assert ids(run("SELECT * FROM Customer WHERE Name != 'a'", rows)) == ["2"]


def test_sql_inequality_spelling_is_refused() -> None:
    """<> is not an operator; the detail lists the ones that are."""
    assert_invalid(
        fault_of("SELECT * FROM Customer WHERE Id <> '1'"),
        'Encountered ">" at line 1, column 34. '
        "Was expecting one of: <number>, <string>, FALSE, TRUE.",
    )


def test_garbage_is_refused() -> None:
    """Text that is not a query is refused at its first token."""
    assert_invalid(
        fault_of("DROP TABLE Customer"),
        'Encountered "DROP" at line 1, column 1. Was expecting one of: SELECT.',
    )


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_query_is_refused(text: str) -> None:
    """An empty or blank query is refused as an unexpected end of input."""
    fault = fault_of(text)
    assert fault.code == "4001"
    assert fault.errors[0].detail.startswith('QueryValidationError: Encountered "<EOF>"')
    assert "SELECT" in fault.errors[0].detail


def test_missing_entity_is_refused() -> None:
    """A query that stops after FROM is refused at the end of input."""
    assert_invalid(
        fault_of("SELECT * FROM"),
        'Encountered "<EOF>" at line 1, column 14. Was expecting one of: <name>.',
    )


def test_unquoted_word_value_is_refused() -> None:
    """A bare word as a value is refused; values are quoted, numeric or boolean."""
    assert_invalid(
        fault_of("SELECT * FROM Customer WHERE Active = yes"),
        'Encountered "yes" at line 1, column 39. '
        "Was expecting one of: <number>, <string>, FALSE, TRUE.",
    )


def test_unterminated_string_is_refused() -> None:
    """A string without its closing quote is reported as unterminated."""
    assert_invalid(
        fault_of("SELECT * FROM Customer WHERE DisplayName = 'Amy"),
        'Encountered "\'" at line 1, column 44. The string is not terminated.',
    )


def test_empty_in_list_is_refused() -> None:
    """IN needs at least one value."""
    fault = fault_of("SELECT * FROM Customer WHERE Id IN ()")
    assert fault.errors[0].detail.startswith('QueryValidationError: Encountered ")"')


def test_repeated_paging_clause_is_refused() -> None:
    """Each paging clause may appear once."""
    fault = fault_of("SELECT * FROM Customer STARTPOSITION 1 STARTPOSITION 2")
    assert fault.errors[0].detail.startswith(
        'QueryValidationError: Encountered "STARTPOSITION" at line 1, column 40.'
    )


def test_keyword_glued_to_name_is_refused() -> None:
    """A keyword run into a name ("selectId") is one unknown word, not two tokens."""
    assert_invalid(
        fault_of("selectId FROM Customer"),
        'Encountered "selectId" at line 1, column 1. Was expecting one of: SELECT.',
    )


def test_error_position_counts_lines() -> None:
    """Line and column in the detail follow newlines in the query."""
    fault = fault_of("SELECT * FROM Customer\nWHERE Id = '1'\n  OR Id = '2'")
    assert fault.errors[0].detail.startswith(
        'QueryValidationError: Encountered "OR" at line 3, column 3.'
    )


def test_syntax_errors_do_not_leak_internals() -> None:
    """Syntax-error details carry no Python traceback or parser internals."""
    for text in ["SELECT", "SELECT * FROM Customer WHERE", "SELECT * FROM Customer ORDERBY ;"]:
        detail = fault_of(text).errors[0].detail
        assert "Traceback" not in detail
        assert "lark" not in detail.lower()
        assert "$END" not in detail


# --------------------------------------------------------------------------------------------
# Filtering


def test_string_equality_is_case_insensitive() -> None:
    """String = matches regardless of case."""
    rows = run("SELECT * FROM Customer WHERE DisplayName = 'COOL CARS'", customers())
    assert ids(rows) == ["3"]


def test_escaped_quote_matches_stored_apostrophe() -> None:
    """An escaped quote in the query matches the apostrophe in the stored name."""
    rows = run(r"SELECT * FROM Customer WHERE DisplayName = 'Amy\'s Bird Sanctuary'", customers())
    assert ids(rows) == ["1"]


def test_unicode_value_matches() -> None:
    """Unicode values compare by case-folding, like any other string."""
    rows = [{"Id": "1", "DisplayName": "Zoë Café"}, {"Id": "2", "DisplayName": "Zoe Cafe"}]
    assert ids(run("SELECT * FROM Customer WHERE DisplayName = 'ZOË CAFÉ'", rows)) == ["1"]


def test_string_ordering_is_case_insensitive() -> None:
    """< and > on strings compare case-folded text."""
    rows = run("SELECT * FROM Customer WHERE DisplayName >= 'c'", customers())
    assert ids(rows) == ["3", "10", "21"]


def test_property_names_are_case_insensitive() -> None:
    """Property names, dotted segments included, match row keys case-insensitively."""
    rows = run(
        "SELECT * FROM Customer WHERE displayname = 'cool cars' "
        "AND metadata.lastupdatedtime > '2020-09-01'",
        customers(),
    )
    assert ids(rows) == ["3"]


def test_missing_field_excludes_row() -> None:
    """A row without the filtered property never matches, whatever the operator."""
    rows = customers()
    assert ids(run("SELECT * FROM Customer WHERE Balance < '1000'", rows)) == ["1", "2", "3", "10"]
    assert ids(run("SELECT * FROM Customer WHERE Nickname = 'x'", rows)) == []


def test_quoted_number_compares_numerically() -> None:
    """TotalAmt > '300.00' compares as numbers because the stored field is numeric."""
    rows = run("SELECT * FROM Invoice WHERE TotalAmt > '300.00'", invoices())
    assert ids(rows) == ["130", "131"]


def test_unquoted_number_compares_numerically() -> None:
    """Unquoted numbers compare against Decimal and int fields alike."""
    rows = invoices()
    assert ids(run("SELECT * FROM Invoice WHERE TotalAmt <= 300", rows)) == ["96", "9"]
    assert ids(run("SELECT * FROM Invoice WHERE TotalAmt = 1200.00", rows)) == ["131"]


def test_negative_number_comparison() -> None:
    """Negative numbers compare numerically."""
    assert ids(run("SELECT * FROM Customer WHERE Balance < 0", customers())) == ["10"]


def test_invalid_number_for_numeric_field() -> None:
    """A value that is not a number, compared with a numeric field, is a 4001 naming it."""
    with pytest.raises(FaultError) as caught:
        run("SELECT * FROM Invoice WHERE TotalAmt > 'lots'", invoices())
    assert_invalid(caught.value, "'lots' is not a valid number for TotalAmt")


@pytest.mark.parametrize("value", ["true", "TRUE", "'true'", "'True'"])
def test_boolean_true_forms(value: str) -> None:
    """true, TRUE and quoted 'true' all match a stored True."""
    rows = run(f"SELECT * FROM Customer WHERE Active = {value}", customers())
    assert ids(rows) == ["1", "2", "10", "21"]


@pytest.mark.parametrize("value", ["false", "False", "'false'"])
def test_boolean_false_forms(value: str) -> None:
    """false in any case, quoted or not, matches a stored False."""
    assert ids(run(f"SELECT * FROM Customer WHERE Active = {value}", customers())) == ["3"]


def test_active_in_both_booleans() -> None:
    """Active IN (true, false) matches every row that has Active."""
    rows = run("SELECT * FROM Customer WHERE Active IN (true, false)", customers())
    assert ids(rows) == ["1", "2", "3", "10", "21"]


def test_invalid_boolean_value() -> None:
    """A non-boolean value compared with a boolean field is a 4001 naming it."""
    with pytest.raises(FaultError) as caught:
        run("SELECT * FROM Customer WHERE Active = 'yes'", customers())
    assert_invalid(caught.value, "'yes' is not a valid boolean value for Active")


def test_reference_compares_its_value() -> None:
    """CustomerRef = '5' compares the reference's value, not its name."""
    rows = run("SELECT * FROM Invoice WHERE CustomerRef = '5'", invoices())
    assert ids(rows) == ["130", "9"]


def test_reference_in_list() -> None:
    """IN over a reference matches any listed value."""
    rows = run("SELECT * FROM Invoice WHERE CustomerRef IN ('7', '12')", invoices())
    assert ids(rows) == ["96", "131"]


def test_email_compares_address() -> None:
    """PrimaryEmailAddr compares its Address, case-insensitively."""
    rows = run("SELECT * FROM Customer WHERE PrimaryEmailAddr = 'birds@intuit.com'", customers())
    assert ids(rows) == ["1"]


def test_phone_compares_free_form_number() -> None:
    """PrimaryPhone compares its FreeFormNumber."""
    rows = run("SELECT * FROM Customer WHERE PrimaryPhone LIKE '%555%'", customers())
    assert ids(rows) == ["1"]


def test_ids_compare_numerically() -> None:
    """Id > '5' is numeric for numeric-string Ids, so '10' and '21' are greater than '5'."""
    rows = customers()
    assert ids(run("SELECT * FROM Customer WHERE Id > '5'", rows)) == ["10", "21"]
    assert ids(run("SELECT * FROM Customer WHERE Id < 10", rows)) == ["1", "2", "3"]


def test_leading_zero_strings_compare_as_text() -> None:
    """A DocNumber with leading zeros is text, so '007' does not equal '7'."""
    rows = invoices()
    assert ids(run("SELECT * FROM Invoice WHERE DocNumber = '7'", rows)) == []
    assert ids(run("SELECT * FROM Invoice WHERE DocNumber = '007'", rows)) == ["96"]


def test_non_numeric_string_against_number_compares_as_text() -> None:
    """A non-numeric stored string compared with a number falls back to text comparison."""
    rows = run("SELECT * FROM Invoice WHERE DocNumber > 1500", invoices())
    assert ids(rows) == ["131"]


def test_txn_date_comparisons() -> None:
    """TxnDate compares as dates: >=, < and = on YYYY-MM-DD values."""
    rows = invoices()
    assert ids(run("SELECT * FROM Invoice WHERE TxnDate >= '2024-01-01'", rows)) == [
        "130",
        "9",
        "131",
    ]
    assert ids(run("SELECT * FROM Invoice WHERE TxnDate < '2024-01-01'", rows)) == ["96"]
    assert ids(run("SELECT * FROM Invoice WHERE TxnDate = '2024-02-01'", rows)) == ["9"]


def test_txn_date_against_date_time() -> None:
    """A date-only TxnDate is midnight company time when compared with a date-time."""
    rows = invoices()
    # 2024-01-31 00:00 Pacific is 2024-01-31T08:00Z.
    later = "SELECT * FROM Invoice WHERE TxnDate > '2024-01-31T07:59:59Z'"
    same = "SELECT * FROM Invoice WHERE TxnDate = '2024-01-31T08:00:00Z'"
    assert ids(run(later, rows)) == ["130", "9"]
    assert ids(run(same, rows)) == ["130"]


def test_last_updated_time_across_offsets() -> None:
    """MetaData.LastUpdatedTime compares instants, whatever offset either side is written in."""
    rows = customers()
    # Id 1 was updated at 2020-09-29T05:58:07-07:00 = 12:58:07Z.
    equal = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime = '2020-09-29T12:58:07Z'"
    assert ids(run(equal, rows)) == ["1"]
    after = "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '2020-09-29T08:58:07-04:00'"
    # Id 3 (10:00Z on the 30th, written with Z) and Id 21 (06:00 Pacific) are later.
    assert ids(run(after, rows)) == ["3", "21"]


def test_last_updated_time_against_a_date() -> None:
    """A date-only value is midnight company time when compared with date-times."""
    rows = run("SELECT * FROM Customer WHERE MetaData.LastUpdatedTime >= '2020-09-29'", customers())
    assert ids(rows) == ["1", "3", "21"]


def test_naive_date_time_is_company_time() -> None:
    """A date-time without offset in the query is read in the company's zone."""
    rows = run(
        "SELECT * FROM Customer WHERE MetaData.LastUpdatedTime = '2020-09-28T00:00:00'",
        customers(),
    )
    assert ids(rows) == ["10"]


def test_non_date_value_against_date_field_compares_as_text() -> None:
    """A value that is not a date, compared with a date field, falls back to text."""
    # '2024-01-99' is shaped like a date but is none, so it is compared as text.
    assert ids(run("SELECT * FROM Invoice WHERE TxnDate > '2024-01-99'", invoices())) == ["9"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("Amy%", ["1"]),
        ("%Shop", ["2"]),
        ("%Bird%", ["1"]),
        ("%o%o%", ["3", "10"]),
        ("%", ["1", "2", "3", "10", "21"]),
        ("cool cars", ["3"]),
        ("Cool", []),
        ("%cars%x", []),
    ],
)
def test_like_wildcards(pattern: str, expected: list[str]) -> None:
    """LIKE treats % as any run of characters, anchors both ends and ignores case."""
    rows = run(f"SELECT * FROM Customer WHERE DisplayName LIKE '{pattern}'", customers())
    assert ids(rows) == expected


def test_like_underscore_is_literal() -> None:
    """An underscore in a LIKE pattern matches only an underscore."""
    rows = customers()
    assert ids(run("SELECT * FROM Customer WHERE DisplayName LIKE 'dukes_%'", rows)) == ["21"]
    assert ids(run("SELECT * FROM Customer WHERE DisplayName LIKE 'Cool_Cars'", rows)) == []


def test_like_with_escaped_quote() -> None:
    """LIKE patterns may contain escaped quotes."""
    rows = run(r"SELECT * FROM Customer WHERE DisplayName LIKE '%\'s %'", customers())
    assert ids(rows) == ["1", "2"]


def test_in_list_of_ids() -> None:
    """IN matches rows whose value equals any listed value, quoted or not."""
    rows = run("SELECT * FROM Customer WHERE Id IN ('1', 10, '99')", customers())
    assert ids(rows) == ["1", "10"]


def test_in_list_of_strings_is_case_insensitive() -> None:
    """IN over strings compares case-folded text."""
    rows = run(
        "SELECT * FROM Customer WHERE DisplayName IN ('cool cars', 'DIEGO RODRIGUEZ')",
        customers(),
    )
    assert ids(rows) == ["3", "10"]


def test_in_list_of_numbers() -> None:
    """IN over a numeric field compares numerically."""
    rows = run("SELECT * FROM Invoice WHERE TotalAmt IN ('300', 50.00)", invoices())
    assert ids(rows) == ["96", "9"]


def test_in_list_of_dates() -> None:
    """IN over a date field compares dates, so a date-time at local midnight matches."""
    rows = run(
        "SELECT * FROM Invoice WHERE TxnDate IN ('2024-01-01T00:00:00-08:00', '2023-12-15')",
        invoices(),
    )
    assert ids(rows) == ["96", "131"]


def test_conditions_are_conjoined() -> None:
    """Every AND-ed condition must hold."""
    rows = run(
        "SELECT * FROM Invoice WHERE CustomerRef = '5' AND TotalAmt > '100' "
        "AND TxnDate >= '2024-01-01'",
        invoices(),
    )
    assert ids(rows) == ["130"]


def test_matches_single_row() -> None:
    """matches() answers for one row, and a query without WHERE matches everything."""
    row = customers()[0]
    assert matches(parse("SELECT * FROM Customer WHERE Active = true"), row, ZONE)
    assert not matches(parse("SELECT * FROM Customer WHERE Active = false"), row, ZONE)
    assert matches(parse("SELECT * FROM Customer"), row, ZONE)


def test_hand_built_query() -> None:
    """A Query built directly, without parsing, evaluates the same way."""
    query = Query(
        entity="Invoice",
        count=False,
        fields=None,
        conditions=(Condition("CustomerRef", "IN", ("5",)), Condition("TotalAmt", "<", "100")),
        order_by=(),
        start_position=1,
        max_results=10,
    )
    assert ids(run_query(query, invoices(), ZONE)) == ["9"]


# --------------------------------------------------------------------------------------------
# Ordering, paging, projection, counting


def test_no_order_by_keeps_input_order() -> None:
    """Without ORDERBY rows come back in the order given."""
    rows = list(reversed(customers()))
    assert ids(run("SELECT * FROM Customer", rows)) == ["21", "10", "3", "2", "1"]


def test_order_by_string_is_case_insensitive() -> None:
    """ORDERBY on a string field sorts case-folded text."""
    rows = run("SELECT * FROM Customer ORDERBY DisplayName", customers())
    assert ids(rows) == ["1", "2", "3", "10", "21"]


def test_order_by_desc() -> None:
    """DESC reverses the order."""
    rows = run("SELECT * FROM Customer ORDERBY DisplayName DESC", customers())
    assert ids(rows) == ["21", "10", "3", "2", "1"]


def test_order_by_id_is_numeric() -> None:
    """ORDERBY Id sorts numeric-string Ids as numbers (2 before 10 before 21)."""
    rows = list(reversed(customers()))
    assert ids(run("SELECT * FROM Customer ORDERBY Id", rows)) == ["1", "2", "3", "10", "21"]


def test_order_by_number() -> None:
    """ORDERBY on a numeric field sorts numbers, int and Decimal together."""
    rows = run("SELECT * FROM Invoice ORDERBY TotalAmt DESC", invoices())
    assert ids(rows) == ["131", "130", "96", "9"]


def test_order_by_date_time_across_offsets() -> None:
    """ORDERBY on date-times sorts instants, not the text of differently offset times."""
    rows = run("SELECT * FROM Customer ORDERBY MetaData.LastUpdatedTime", customers())
    assert ids(rows) == ["2", "10", "1", "21", "3"]


def test_multi_key_order_with_desc() -> None:
    """A second key breaks ties of the first, each key with its own direction."""
    rows = run("SELECT * FROM Invoice ORDERBY CustomerRef DESC, TxnDate ASC", invoices())
    # CustomerRef values 12 > 7 > 5 (numeric); the two '5' invoices by date.
    assert ids(rows) == ["131", "96", "130", "9"]
    rows = run("SELECT * FROM Invoice ORDERBY CustomerRef, TxnDate DESC", invoices())
    assert ids(rows) == ["9", "130", "96", "131"]


def test_order_by_is_stable_for_ties() -> None:
    """Rows with equal sort keys keep their input order, ASC and DESC alike."""
    rows = customers()
    assert ids(run("SELECT * FROM Customer ORDERBY Active", rows)) == ["3", "1", "2", "10", "21"]
    assert ids(run("SELECT * FROM Customer ORDERBY Active DESC", rows)) == [
        "1",
        "2",
        "10",
        "21",
        "3",
    ]


def test_missing_sort_key_first_ascending_last_descending() -> None:
    """Rows without the sort property come first in ASC and last in DESC."""
    rows = customers()
    assert ids(run("SELECT * FROM Customer ORDERBY Balance", rows)) == ["21", "10", "3", "2", "1"]
    assert ids(run("SELECT * FROM Customer ORDERBY Balance DESC", rows)) == [
        "1",
        "2",
        "3",
        "10",
        "21",
    ]


def test_paging_start_three_max_two() -> None:
    """STARTPOSITION 3 MAXRESULTS 2 over five rows returns the third and fourth."""
    rows = customers()
    assert ids(run("SELECT * FROM Customer STARTPOSITION 3 MAXRESULTS 2", rows)) == ["3", "10"]


def test_paging_applies_after_sorting() -> None:
    """Paging takes its window from the sorted rows."""
    rows = run("SELECT * FROM Customer ORDERBY Id DESC MAXRESULTS 2 STARTPOSITION 3", customers())
    assert ids(rows) == ["3", "2"]


def test_paging_applies_after_filtering() -> None:
    """Paging takes its window from the matching rows only."""
    rows = run(
        "SELECT * FROM Customer WHERE Active = true STARTPOSITION 2 MAXRESULTS 2", customers()
    )
    assert ids(rows) == ["2", "10"]


def test_paging_past_the_end_is_empty() -> None:
    """A STARTPOSITION beyond the last row gives no rows."""
    assert run("SELECT * FROM Customer STARTPOSITION 6", customers()) == []


def test_default_page_is_one_hundred_rows() -> None:
    """Without MAXRESULTS at most 100 rows are returned."""
    rows = [{"Id": str(n)} for n in range(1, 151)]
    page = run("SELECT * FROM Customer", rows)
    assert len(page) == 100
    assert page[-1]["Id"] == "100"


def test_unprojected_rows_are_returned_as_is() -> None:
    """SELECT * returns the row dicts themselves, not copies."""
    rows = customers()
    page = run("SELECT * FROM Customer WHERE Id = '2'", rows)
    assert page[0] is rows[1]


def test_mapping_rows_come_back_as_dicts() -> None:
    """Rows given as read-only mappings are returned as plain dicts."""
    rows = [MappingProxyType(row) for row in customers()]
    page = run_query(parse("SELECT * FROM Customer WHERE Id = '3'"), rows, ZONE)
    assert page == [customers()[2]]
    assert type(page[0]) is dict


def test_projection_keeps_selected_top_level_properties() -> None:
    """A field list returns copies with only those properties, matched case-insensitively."""
    rows = customers()
    page = run("SELECT id, DisplayName FROM Customer WHERE Id = '1'", rows)
    assert page == [{"Id": "1", "DisplayName": "Amy's Bird Sanctuary"}]
    assert page[0] is not rows[0]
    assert "Active" in rows[0]


def test_projection_dotted_field_keeps_container() -> None:
    """A dotted projected field keeps its whole top-level container."""
    page = run("SELECT Id, MetaData.LastUpdatedTime FROM Customer WHERE Id = '3'", customers())
    assert page == [
        {
            "Id": "3",
            "MetaData": {
                "CreateTime": "2020-09-20T16:51:22-07:00",
                "LastUpdatedTime": "2020-09-30T10:00:00Z",
            },
        }
    ]


def test_projection_unknown_field_is_absent() -> None:
    """Projected properties a row lacks are simply left out."""
    page = run("SELECT Id, Balance, Nickname FROM Customer WHERE Id = '21'", customers())
    assert page == [{"Id": "21"}]


def test_count_ignores_paging() -> None:
    """count_query counts every matching row, whatever STARTPOSITION and MAXRESULTS say."""
    query = parse("SELECT COUNT(*) FROM Customer WHERE Active = true STARTPOSITION 2 MAXRESULTS 1")
    assert count_query(query, customers(), ZONE) == 4
    assert count_query(parse("SELECT COUNT(*) FROM Customer"), customers(), ZONE) == 5


def test_count_accepts_a_generator() -> None:
    """count_query and run_query accept any iterable of rows, generators included."""
    query = parse("SELECT * FROM Customer WHERE Balance >= 0")
    assert count_query(query, (row for row in customers()), ZONE) == 3
    assert ids(run_query(query, (row for row in customers()), ZONE)) == ["1", "2", "3"]


# --------------------------------------------------------------------------------------------
# filters_on


def test_filters_on_is_case_insensitive() -> None:
    """filters_on finds a filtered property whatever the case on either side."""
    query = parse("SELECT * FROM Customer WHERE active IN (true, false) AND Id > '1'")
    assert query.filters_on("Active")
    assert query.filters_on("ACTIVE")
    assert query.filters_on("id")


def test_filters_on_absent_property() -> None:
    """filters_on is false for properties only sorted or projected, or not mentioned."""
    query = parse("SELECT Active FROM Customer WHERE DisplayName LIKE 'A%' ORDERBY Active")
    assert not query.filters_on("Active")
    assert query.filters_on("DisplayName")
    assert not parse("SELECT * FROM Customer").filters_on("Active")
