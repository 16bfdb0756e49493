"""One finding per damage, however many road pieces it covers: a pothole on the border of two
pieces makes both rough, and must still become one report (or one comment on a citizen's)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from stadtmelder_fleet.road.domain import Piece
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import distance_m

# A piece turning rough this close to the first piece of an open finding is the same damage:
# a pothole or broken patch of up to 10 m radius touches pieces (about 9.5 m edges, 16 m
# between neighbours' centres) whose centres lie up to 20 m from it on either side.
SAME_DAMAGE_M = 40.0


@dataclass
class Finding:
    """An open finding: where it was first detected, and the pieces that are rough with it."""

    id: str
    detected_event_id: str
    at: Location
    pieces: set[str] = field(default_factory=set)
    reported_passes: int = 0
    """The most passes any of its pieces was published with: evidence only ever grows."""


class Findings:
    """The open findings, a few hundred in a city at most, kept in a collection of their own
    (reading every piece to find the reported ones takes FerretDB 1.24 seconds per 10,000)."""

    def __init__(self) -> None:
        self._open: dict[str, Finding] = {}

    def __len__(self) -> int:
        return len(self._open)

    def restore(self, findings: Iterable[Finding]) -> None:
        self._open = {finding.id: finding for finding in findings}

    def of(self, piece: Piece) -> Finding:
        """The open finding of a reported piece, remembered if it was not."""
        assert piece.finding_id is not None
        finding = self._open.get(piece.finding_id)
        if finding is None:
            finding = Finding(
                piece.finding_id,
                piece.detected_event_id or "",
                Location(lat=piece.lat, lon=piece.lon),
                reported_passes=piece.reported_passes,
            )
            self._open[finding.id] = finding
        finding.pieces.add(piece.id)
        return finding

    def near(self, piece: Piece) -> Finding | None:
        """The open finding first detected within `SAME_DAMAGE_M` of the piece, if any."""
        here = Location(lat=piece.lat, lon=piece.lon)
        close = [(distance_m(here, f.at), f.id, f) for f in self._open.values()]
        within = [entry for entry in close if entry[0] <= SAME_DAMAGE_M]
        return min(within)[2] if within else None

    def leave(self, piece: Piece) -> Finding | None:
        """The piece measures smooth again: the finding it leaves, still open with its other
        rough pieces, or None when it was the last of them and the finding is cleared."""
        finding = self._open.get(piece.finding_id or "")
        if finding is None:
            return None
        finding.pieces.discard(piece.id)
        if finding.pieces:
            return finding
        del self._open[finding.id]
        return None
