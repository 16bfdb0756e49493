"""Settings of the fleet service, read from `FLEET_*` and the shared connection variables."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from stadtmelder_shared.settings import ServiceSettings


class FleetSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FLEET_")

    port: int = Field(8003, ge=1, le=65535)
    mongodb_database: str = "stadtmelder_fleet"
    kafka_group_id: str = "fleet"
    # The city's outline readings must lie in; the shipped approximate one when unset.
    areas_file: Path | None = None
    # Clocks of vehicle boxes drift; a reading further ahead than this is rejected.
    future_tolerance_seconds: float = Field(300.0, ge=0)

    # Road pieces: H3 cells (resolution 12: about 20 m across), at most this many kept in memory.
    road_cell_resolution: int = Field(12, ge=9, le=13)
    road_max_pieces: int = Field(10_000, ge=100)
    # Enough evidence: this many passes by this many vehicles within the window.
    road_window_days: int = Field(14, ge=1)
    road_min_passes: int = Field(3, ge=1)
    road_min_vehicles: int = Field(2, ge=1)
    # Roughness (IRI, m/km) above which a piece is damaged, and below which it has recovered.
    road_damage_iri: float = Field(6.0, gt=0)
    road_clear_iri: float = Field(4.0, gt=0)
    # Slower passes barely move the suspension: they say little about the road.
    road_min_speed_kmh: float = Field(15.0, ge=0)
    # How often the pieces' changed state is written to the database, and the readings since
    # committed on Kafka (a crash reads them again). Catching up on a backlog, a flush writes
    # nearly every piece, so then it waits longer (road/flush_pace.py).
    road_flush_seconds: float = Field(10.0, gt=0)
    # Containers: the depot the trucks start from (default: WBD's yard on the Schlachthofstraße,
    # approximate), what a truck holds, how long the route solver may search (twice per plan).
    depot_lat: float = Field(51.4476, ge=-90, le=90)
    depot_lon: float = Field(6.7810, ge=-180, le=180)
    truck_capacity_l: int = Field(20_000, gt=0)
    plan_solver_seconds: float = Field(3.0, gt=0, le=60)
    timezone: str = "Europe/Berlin"
    # Staff tokens, as reports checks them (REPORTS_STAFF_*): the IdP's keys, or the local key.
    staff_jwks_url: str | None = None
    staff_issuer: str = "stadtmelder-local"
    staff_audience: str = "stadtmelder-staff"
    staff_signing_key_file: Path = Path("var/staff-signing-key.pem")
