"""The web pages as parts of the reports app: routes, static files, templates and settings."""

from datetime import datetime
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from stadtmelder_reports.city_clock import CITY_TIME
from stadtmelder_reports.erasure.pages import ErasurePages
from stadtmelder_reports.fleet_pages.pages import FleetStaffPages, RoadConditionsPage
from stadtmelder_reports.moderation.pages import ModerationPages
from stadtmelder_reports.playgrounds.pages import PlaygroundPages, StaffPlaygroundPages
from stadtmelder_reports.privacy.pages import PrivacyPages
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.web.easy_read import EasyReadPage
from stadtmelder_reports.web.public_pages import PublicPages
from stadtmelder_reports.web.rendering import WebSettings, install_translations
from stadtmelder_reports.web.report_pages import ReportPages
from stadtmelder_reports.web.staff_pages import staff_router
from stadtmelder_reports.works.pages import WorksPage, WorksStaffPages

HERE = Path(__file__).parent
ASSETS_PATH = "/assets"
LEAFLET_PATH = "/vendor/leaflet"


def web_settings(settings: ReportsSettings) -> WebSettings:
    """Leaflet is served when `npm ci` put it in place; otherwise pages go without a map."""
    leaflet = settings.web_assets_dir / "leaflet" / "dist"
    return WebSettings(
        map_tile_url=settings.map_tile_url,
        map_attribution=settings.map_attribution,
        leaflet_dir=leaflet if (leaflet / "leaflet.js").is_file() else None,
        secure_cookies=settings.public_base_url.startswith("https://"),
        csrf_secret=settings.link_secret.get_secret_value(),
    )


def web_router(web: WebSettings) -> Router:
    """Every page and its static files; handlers find `web` in their options."""
    handlers: list[Any] = [
        ReportPages,
        ErasurePages,
        PublicPages,
        PlaygroundPages,
        EasyReadPage,
        PrivacyPages,
        RoadConditionsPage,
        WorksPage,
        staff_router(
            web.csrf_secret,
            web.secure_cookies,
            pages=[ModerationPages, FleetStaffPages, StaffPlaygroundPages, WorksStaffPages],
        ),
        create_static_files_router(
            path=ASSETS_PATH,
            directories=[HERE / "static"],
            include_in_schema=False,
            # Our files change with a release; an hour keeps a new version from waiting long.
            cache_control=CacheControlHeader(public=True, max_age=3600),
        ),
    ]
    if web.leaflet_dir is not None:
        handlers.append(
            create_static_files_router(
                path=LEAFLET_PATH,
                directories=[web.leaflet_dir],
                include_in_schema=False,
                cache_control=CacheControlHeader(public=True, max_age=86400),
            )
        )
    return Router(path="/", route_handlers=handlers, opt={"web": web}, include_in_schema=False)


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(CITY_TIME).strftime("%d.%m.%Y, %H:%M") if moment else ""


def _register_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["when"] = local_time
    install_translations(engine.engine)


def web_template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=HERE / "templates",
        engine=JinjaTemplateEngine,
        engine_callback=_register_filters,
    )
