"""How the composition root sets up staff sign-in from the settings: `state.sign_in`."""

import logging

from litestar.datastructures import State

from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff.auth import TokenVerifier
from stadtmelder_reports.staff.sign_in.domain import ClaimMapping
from stadtmelder_reports.staff.sign_in.pages import SIGNED_OUT_PATH
from stadtmelder_reports.staff.sign_in.provider import OidcProvider, ProviderSettings
from stadtmelder_reports.staff.sign_in.service import SignIn
from stadtmelder_shared.departments import Directory

log = logging.getLogger(__name__)

CALLBACK_PATH = "/staff/signed-in"


def sign_in_from(settings: ReportsSettings, directory: Directory, tokens: TokenVerifier) -> SignIn:
    provider = None
    if settings.oidc_issuer:
        base = settings.public_base_url.rstrip("/")
        secret = settings.oidc_client_secret
        provider = OidcProvider(
            ProviderSettings(
                issuer=settings.oidc_issuer,
                client_id=settings.oidc_client_id,
                redirect_uri=base + CALLBACK_PATH,
                post_logout_redirect_uri=base + SIGNED_OUT_PATH,
                scopes=settings.oidc_scopes,
                client_secret=secret.get_secret_value() if secret else None,
            )
        )
    if settings.staff_development_tokens:
        log.warning("staff pages accept pasted development tokens (local development only)")
    elif provider is None:
        log.warning("no REPORTS_OIDC_ISSUER: nobody can sign in to the staff pages")
    return SignIn(
        directory,
        provider,
        ClaimMapping(
            settings.oidc_roles_claim,
            settings.oidc_department_claim,
            settings.oidc_role_values,
            settings.oidc_department_values,
        ),
        development_tokens=tokens if settings.staff_development_tokens else None,
        session_hours=settings.staff_session_hours,
    )


def register(
    state: State, settings: ReportsSettings, directory: Directory, tokens: TokenVerifier
) -> None:
    state.sign_in = sign_in_from(settings, directory, tokens)
