"""Container files: the example imports; a file with bad rows imports nothing and names them."""

import json
from pathlib import Path

import pytest

from stadtmelder_fleet.containers.domain import ContainerImportError
from stadtmelder_fleet.containers.importing import EXAMPLE_FILE, read_container_file
from stadtmelder_routing.assets import read_asset_file


def test_the_duisburg_example_is_labelled_and_imports_as_containers_of_mitte() -> None:
    containers = read_container_file(EXAMPLE_FILE)

    assert len(containers) == 10
    assert "EXAMPLE" in EXAMPLE_FILE.read_text(encoding="utf-8")
    assert {c.district for c in containers} == {"district-500"}
    assert {"glass", "underground", "semi-underground"} <= {c.type for c in containers}


def test_the_example_imports_into_routing_too_so_reports_snap_to_those_containers() -> None:
    assets = read_asset_file(EXAMPLE_FILE)

    assert {a.id for a in assets} == {c.id for c in read_container_file(EXAMPLE_FILE)}
    assert {a.type for a in assets} == {"container"}


def test_geojson_points_import_with_their_properties(tmp_path: Path) -> None:
    feature = {
        "type": "Feature",
        "id": "glas-17",
        "geometry": {"type": "Point", "coordinates": [6.7621, 51.4329]},
        "properties": {"container_type": "glass", "capacity_l": 3000, "district": "district-500"},
    }
    path = tmp_path / "glass.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))

    (container,) = read_container_file(path)

    assert (container.id, container.type, container.capacity_l) == ("glas-17", "glass", 3000)
    assert (container.location.lat, container.location.lon) == (51.4329, 6.7621)


def test_a_file_with_bad_rows_imports_nothing_and_names_each_row(tmp_path: Path) -> None:
    path = tmp_path / "containers.csv"
    path.write_text(
        "id,lat,lon,kind,capacity_l,district\n"
        "c-1,51.43,6.76,glass,3000,district-500\n"
        "c-2,51.43,6.76,skip,3000,district-500\n"
        "c-3,51.43,6.76,paper,lots,district-500\n"
        "c-4,51.43,6.76,paper,3000,\n"
        "c-1,51.44,6.77,glass,3000,district-500\n"
    )

    with pytest.raises(ContainerImportError) as raised:
        read_container_file(path)

    message = str(raised.value)
    assert "4 bad row(s), nothing imported" in message
    assert "line 3: kind 'skip'" in message
    assert "line 4: capacity_l 'lots'" in message
    assert "line 5: district is missing" in message
    assert "line 6: id 'c-1' was already used" in message
