"""A signed-in staff browser for tests of the staff pages: the session cookie the sign-in
would have set, sealed with the app's own key."""

from datetime import UTC, datetime, timedelta

from litestar import Litestar

from stadtmelder_reports.staff.auth import Role, StaffMember
from stadtmelder_reports.staff.sign_in.cookies import CookieSeal, Session
from stadtmelder_reports.web.rendering import WebSettings


def session_cookie(
    app: Litestar, user_id: str, roles: list[Role], department: str | None = None
) -> str:
    web: WebSettings = app.state.web
    member = StaffMember(user_id, frozenset(roles), department)
    expires = datetime.now(UTC) + timedelta(hours=1)
    return CookieSeal(web.csrf_secret).seal_session(Session(member, expires, "oidc"))
