"""The staff sign-in pages under /staff: the sign-in page, the round trip through the city's
identity provider, the development token form (local only) and signing out.

Both cookies are SameSite=Lax, not Strict: the provider's answer and a department mail's link
arrive from another site, and a Strict cookie would not come along. Posts stay protected by
the staff pages' CSRF token.
"""

import logging
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from stadtmelder_reports.errors import NotAllowed, NotAuthenticated
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.staff.sign_in.cookies import ATTEMPT_MINUTES, CookieSeal, Session
from stadtmelder_reports.staff.sign_in.domain import (
    STAFF_HOME,
    Reason,
    SignInFailed,
    safe_return_path,
)
from stadtmelder_reports.staff.sign_in.service import SignIn
from stadtmelder_reports.web.rendering import choose_language, page, see_other, web_settings_of
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.translations import N_

log = logging.getLogger(__name__)

SESSION_COOKIE = "stadtmelder_staff"
ATTEMPT_COOKIE = "stadtmelder_staff_sign_in"
LOGIN_PATH = f"{STAFF_HOME}/login"
START_PATH = f"{STAFF_HOME}/sign-in"
SIGNED_OUT_PATH = f"{STAFF_HOME}/signed-out"

REASON_TEXTS: dict[Reason, str] = {
    "cancelled": N_("staff_sign_in_cancelled"),
    "state": N_("staff_sign_in_state"),
    "token": N_("staff_sign_in_token"),
    "unavailable": N_("staff_sign_in_unavailable"),
    "no_staff_role": N_("staff_sign_in_no_staff_role"),
    "not_configured": N_("staff_sign_in_not_configured"),
}
REASON_STATUS: dict[Reason, int] = {
    "cancelled": 401,
    "state": 400,
    "token": 401,
    "unavailable": 503,
    "no_staff_role": 403,
    "not_configured": 503,
}


def sign_in_of(request: AnyRequest) -> SignIn:
    """The app's sign-in; an app that set none signs nobody in to the pages."""
    found: SignIn | None = request.app.state.get("sign_in")
    if found is None:
        raise SignInFailed("not_configured", "app.state.sign_in is not set")
    return found


def seal_of(request: AnyRequest) -> CookieSeal:
    return CookieSeal(web_settings_of(request).csrf_secret)


def current_session(request: AnyRequest) -> Session | None:
    """The signed-in staff session of this browser, if any and not expired."""
    session = seal_of(request).open_session(request.cookies.get(SESSION_COOKIE))
    return session if session is not None and session.member.roles else None


def _cookie(request: AnyRequest, key: str, value: str, max_age: int | None = None) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        path=STAFF_HOME,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=web_settings_of(request).secure_cookies,
    )


def sign_in_first(request: AnyRequest) -> Response[Any]:
    """Off to sign in, and back to the page asked for afterwards (a GET's only)."""
    back = request.url.path if request.method == "GET" else STAFF_HOME
    query = urlencode({"next": safe_return_path(back)})
    sign_in: SignIn | None = request.app.state.get("sign_in")
    with_provider = sign_in is not None and sign_in.with_provider
    response = see_other(f"{START_PATH if with_provider else LOGIN_PATH}?{query}")
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path=STAFF_HOME)
    return response


def problem_page(
    request: AnyRequest, failure: SignInFailed, return_to: str = STAFF_HOME
) -> Template:
    """What went wrong, in the site's frame and the person's language; never a session."""
    log.info("staff sign-in failed (%s): %s", failure.reason, failure.detail)
    t = Words(choose_language(request))
    response = page(
        request,
        "staff_sign_in_problem.html.j2",
        status_code=REASON_STATUS[failure.reason],
        private=True,
        message=t(REASON_TEXTS[failure.reason]),
        again=f"{START_PATH}?{urlencode({'next': return_to})}",
        may_retry=failure.reason not in ("no_staff_role", "not_configured"),
    )
    response.delete_cookie(ATTEMPT_COOKIE, path=STAFF_HOME)
    return response


class SignInPages(Controller):
    """Needs `app.state.sign_in` (a SignIn) and the page settings (`web`) in the route options."""

    @get("/login")
    async def login_form(self, request: AnyRequest) -> Template:
        return self._login_page(request, safe_return_path(request.query_params.get("next")))

    def _login_page(
        self,
        request: AnyRequest,
        return_to: str,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        sign_in = request.app.state.get("sign_in")
        return page(
            request,
            "staff_login.html.j2",
            status_code,
            private=True,
            with_provider=sign_in is not None and sign_in.with_provider,
            development_tokens=sign_in is not None and sign_in.development_tokens is not None,
            start=f"{START_PATH}?{urlencode({'next': return_to})}",
            return_to=return_to,
            problem=problem,
        )

    @post("/login")
    async def login(self, request: AnyRequest) -> Template | Redirect:
        """A pasted development token; this server must allow them (local development)."""
        sign_in = sign_in_of(request)
        if sign_in.development_tokens is None:
            raise NotFoundException()
        form = await request.form()
        return_to = safe_return_path(str(form.get("next") or ""))
        t = Words(choose_language(request))
        try:
            session = await sign_in.from_development_token(str(form.get("token") or "").strip())
        except (NotAuthenticated, NotAllowed) as error:
            failed = t("staff_login_failed", reason=t(error.key))
            return self._login_page(request, return_to, failed, 401)
        return self._signed_in(request, session, return_to)

    def _signed_in(self, request: AnyRequest, session: Session, return_to: str) -> Redirect:
        response = see_other(return_to)
        sealed = seal_of(request).seal_session(session)
        response.cookies.append(_cookie(request, SESSION_COOKIE, sealed))
        response.delete_cookie(ATTEMPT_COOKIE, path=STAFF_HOME)
        return response

    @get("/sign-in")
    async def start(self, request: AnyRequest) -> Response[Any]:
        """Off to the city's identity provider, with a fresh state, nonce and PKCE verifier."""
        return_to = safe_return_path(request.query_params.get("next"))
        try:
            sign_in = sign_in_of(request)
            attempt, address = await sign_in.begin(return_to)
        except SignInFailed as failure:
            return problem_page(request, failure, return_to)
        sealed = seal_of(request).seal_attempt(attempt, sign_in.clock())
        response = Redirect(path=address, status_code=303)
        response.cookies.append(
            _cookie(request, ATTEMPT_COOKIE, sealed, max_age=ATTEMPT_MINUTES * 60)
        )
        response.headers["cache-control"] = "no-store"
        return response

    @get("/signed-in")
    async def finish(self, request: AnyRequest) -> Response[Any]:
        """The provider's answer: checked against this browser's attempt, then a session."""
        attempt = seal_of(request).open_attempt(request.cookies.get(ATTEMPT_COOKIE))
        answer = {
            key: value for key, value in request.query_params.items() if isinstance(value, str)
        }
        try:
            session = await sign_in_of(request).finish(attempt, answer)
        except SignInFailed as failure:
            return problem_page(request, failure, attempt.return_to if attempt else STAFF_HOME)
        return self._signed_in(request, session, attempt.return_to if attempt else STAFF_HOME)

    @post("/logout")
    async def logout(self, request: AnyRequest) -> Response[Any]:
        """Our session ends at once; a provider's session too, where it offers RP-initiated
        logout: through a page, as the staff pages' CSP keeps form posts from leaving the site."""
        session = current_session(request)
        sign_in = request.app.state.get("sign_in")
        provider = sign_in.provider if sign_in is not None else None
        leave_at = (
            await provider.end_session_url()
            if provider and session and session.via == "oidc"
            else None
        )
        response: Response[Any]
        if leave_at:
            response = page(request, "staff_signed_out.html.j2", private=True, leave_at=leave_at)
        else:
            response = see_other(SIGNED_OUT_PATH)
        response.delete_cookie(SESSION_COOKIE, path=STAFF_HOME)
        return response

    @get("/signed-out")
    async def signed_out(self, request: AnyRequest) -> Template:
        return page(request, "staff_signed_out.html.j2", private=True, leave_at=None)
