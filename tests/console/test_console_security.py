"""The console's locks: login, sessions, CSRF on every form, and one shop per user.

Every unsafe request needs the CSRF token of its own session (a forged form from another
site, or a token of another session, is refused before anything happens); a user sees and
changes only the shops granted to them, and a shop that is not theirs answers exactly like a
shop that does not exist.
"""

from __future__ import annotations

import html

import pytest
from consolekit import PASSWORD, Console, csrf_of
from fastapi.routing import APIRoute

from ledgerbridge.model import Customer
from ledgerbridge.web.console._activity import activity_router
from ledgerbridge.web.console._integrations import integrations_router
from ledgerbridge.web.console._login import login_router
from ledgerbridge.web.console._records import records_router
from ledgerbridge.web.console._settings_page import settings_router

pytestmark = pytest.mark.anyio

C = "/console"
#: every form of the console: where it posts, and what
FORMS: list[tuple[str, dict[str, str]]] = [
    ("/login", {"username": "shop-a-owner", "password": PASSWORD}),
    ("/logout", {}),
    ("/t/shop-a/integrations/connect", {}),
    ("/t/shop-a/integrations/disconnect", {}),
    ("/t/shop-a/integrations/sync", {"enabled": "false"}),
    ("/t/shop-a/settings", {"refund_account": "Checking"}),
    ("/t/shop-a/records/customer/sync", {}),
    ("/t/shop-a/records/customer/bulk", {"action": "skip", "selected": "c1"}),
    ("/t/shop-a/records/customer/c1/push", {}),
    ("/t/shop-a/records/customer/c1/retry", {}),
    ("/t/shop-a/records/customer/c1/skip", {}),
    ("/t/shop-a/records/customer/c1/relink", {"qbo_id": "1"}),
    ("/t/shop-a/errors/retry", {}),
    ("/t/shop-a/activity/sync", {}),
]


async def _two_shops(console: Console) -> None:
    """shop-a and shop-b, each connected and holding customer c1, and shop-a's owner
    logged in."""
    for shop in ("shop-a", "shop-b"):
        key = await console.shop(shop, company=f"{shop} company")
        record = Customer(id="c1", name=f"{shop} customer").model_dump(mode="json")
        answer = await console.api.put(shop, key, record)
        assert answer.status_code in (200, 201), answer.text
    assert (await console.login("shop-a-owner")).status_code == 303


def _untouched(console: Console, shop: str) -> None:
    """Nothing the forms do happened to ``shop``: no run, no settings, still connected,
    c1 neither skipped nor linked."""
    services = console.api.services
    assert services.runtime.runs.list(tenant_id=shop) == []
    assert services.runtime.settings_store.current(tenant_id=shop) is None
    connection = services.runtime.connections.get(tenant_id=shop, environment="emulator")
    assert connection is not None and connection.status == "connected"
    assert services.runtime.links.get(tenant_id=shop, record_type="customer", app_id="c1") is None


def _route_of(action: str) -> str:
    """The route path a posted address matches (one route takes push, retry and skip)."""
    for verb in ("push", "retry", "skip"):
        if action.endswith(f"/c1/{verb}"):
            return action.removesuffix(verb) + "{action}"
    return action


def test_every_console_form_is_in_the_csrf_list() -> None:
    """FORMS lists every POST route of the console, so a new one cannot miss the CSRF tests."""
    routers = (login_router(), integrations_router(), settings_router(), records_router())
    posted = {
        route.path.replace("{tenant_id}", "shop-a")
        .replace("{record_type}", "customer")
        .replace("{app_id}", "c1")
        for router in (*routers, activity_router())
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    }
    assert posted == {_route_of(action) for action, _ in FORMS}


async def test_a_form_without_the_sessions_token_is_refused(console: Console) -> None:
    """Every form, with no token, an empty one, or another session's: 403 with a page saying
    what to do, and nothing done."""
    await _two_shops(console)
    async with console.another_browser():
        other_token = csrf_of(await console.get("/login"))
    for action, data in FORMS:
        for token in (None, "", other_token):
            fields = dict(data) if token is None else {**data, "csrf_token": token}
            answer = await console.client.post(f"{C}{action}", data=fields)
            assert answer.status_code == 403, (action, token, answer.text)
            assert "This form has expired" in answer.text
    _untouched(console, "shop-a")
    # still logged in: the refused logout did not log out either
    assert (await console.get("/t/shop-a/integrations")).status_code == 200


async def test_the_token_may_come_in_the_htmx_header(console: Console) -> None:
    """htmx sends the token as X-CSRF-Token (set once on <body>): accepted like the field."""
    await _two_shops(console)
    page = await console.get("/t/shop-a/activity")
    token = csrf_of(page)
    assert f'"X-CSRF-Token": "{token}"' in html.unescape(page.text)
    answer = await console.client.post(
        f"{C}/t/shop-a/activity/sync", headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 303
    assert len(console.api.services.runtime.runs.list(tenant_id="shop-a")) == 1


async def test_another_shops_pages_look_like_missing_ones(console: Console) -> None:
    """Every page of a shop the user was not granted is the same 404 as a shop that does
    not exist; the shop switcher does not list it and refuses it."""
    await _two_shops(console)
    for page in (
        "integrations",
        "settings",
        "records/customer",
        "errors",
        "activity",
        "activity/live",
        "dashboard",
        "records/customer/c1/relink",
    ):
        other = await console.get(f"/t/shop-b/{page}")
        missing = await console.get(f"/t/no-such-shop/{page}")
        assert other.status_code == missing.status_code == 404, page
        assert other.text == missing.text
        assert "shop-b" not in other.text
    assert (await console.get("/switch", tenant="shop-b")).status_code == 404
    own = await console.get("/t/shop-a/integrations")
    assert "shop-b" not in own.text


async def test_another_shops_forms_change_nothing(console: Console) -> None:
    """Every form of shop-b, posted with shop-a's valid session and token: 404, and shop-b
    is as it was."""
    await _two_shops(console)
    token = csrf_of(await console.get("/t/shop-a/integrations"))
    for action, data in FORMS[2:]:
        target = action.replace("shop-a", "shop-b")
        answer = await console.client.post(f"{C}{target}", data={**data, "csrf_token": token})
        assert answer.status_code == 404, (target, answer.text)
    _untouched(console, "shop-b")


async def test_an_admin_sees_every_shop(console: Console) -> None:
    """An admin user gets the switcher with both shops and may open either."""
    await _two_shops(console)
    console.api.services.access.add_user(username="admin", password=PASSWORD, admin=True)
    async with console.another_browser():
        await console.login("admin")
        page = await console.get("/t/shop-b/integrations")
        assert page.status_code == 200
        assert 'value="shop-a"' in page.text and 'value="shop-b"' in page.text
        assert (
            (await console.get("/switch", tenant="shop-a"))
            .headers["location"]
            .endswith("/t/shop-a/integrations")
        )


async def test_pages_need_a_login_and_come_back_after_it(console: Console) -> None:
    """Logged out, a page sends to the login page and, after it, back to itself; htmx
    polling gets HX-Redirect instead of a login form inside the page."""
    await console.shop("shop-a")
    page = await console.get("/t/shop-a/settings")
    assert page.status_code == 303
    assert page.headers["location"] == f"{C}/login?next=/console/t/shop-a/settings"
    live = await console.client.get(f"{C}/t/shop-a/activity/live", headers={"HX-Request": "true"})
    assert live.status_code == 401
    assert live.headers["hx-redirect"].startswith(f"{C}/login")
    login = await console.get("/login", next="/console/t/shop-a/settings")
    answer = await console.client.post(
        f"{C}/login",
        data={
            "username": "shop-a-owner",
            "password": PASSWORD,
            "next": "/console/t/shop-a/settings",
            "csrf_token": csrf_of(login),
        },
    )
    assert answer.headers["location"] == "/console/t/shop-a/settings"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/elsewhere"])
async def test_after_login_the_next_page_is_never_off_the_console(
    console: Console, target: str
) -> None:
    """An open redirect through ``next`` leads to the console's home instead."""
    await console.shop("shop-a")
    login = await console.get("/login")
    answer = await console.client.post(
        f"{C}/login",
        data={
            "username": "shop-a-owner",
            "password": PASSWORD,
            "next": target,
            "csrf_token": csrf_of(login),
        },
    )
    assert answer.headers["location"] == f"{C}/"


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(console: Console) -> None:
    """401 with one sentence for both: the answer does not tell which names exist."""
    await console.shop("shop-a")
    wrong = await console.login("shop-a-owner", "not the password at all")
    unknown = await console.login("nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "The user name or the password is not right." in wrong.text
    assert wrong.text.replace("shop-a-owner", "X") == unknown.text.replace("nobody-here", "X")
    assert (await console.get("/t/shop-a/integrations")).status_code == 303


async def test_login_starts_a_new_session_and_logout_ends_it(console: Console) -> None:
    """The token of the login page dies with login (fixation); after logout, pages ask for
    a login again."""
    await console.shop("shop-a")
    before = csrf_of(await console.get("/login"))
    await console.login("shop-a-owner")
    after = csrf_of(await console.get("/t/shop-a/integrations"))
    assert before != after
    await console.client.post(f"{C}/logout", data={"csrf_token": after})
    assert (await console.get("/t/shop-a/integrations")).status_code == 303


async def test_a_removed_user_is_logged_out_at_once(console: Console) -> None:
    """The session names the user; a user removed meanwhile is not let in by it."""
    await console.shop("shop-a")
    await console.login("shop-a-owner")
    console.api.services.access.remove_user(username="shop-a-owner")
    assert (await console.get("/t/shop-a/integrations")).status_code == 303


async def test_pages_carry_the_security_headers(console: Console) -> None:
    """Scripts only from the console itself, no framing, no caching of pages, and a session
    cookie that scripts cannot read."""
    await console.shop("shop-a")
    answer = await console.login("shop-a-owner")
    cookie = answer.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    page = await console.get("/t/shop-a/integrations")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script for the policy to allow
