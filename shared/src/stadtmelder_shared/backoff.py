"""How long to pause before trying something again: doubling from a first pause, capped."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    first_s: float
    longest_s: float

    def after(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failure in a row (the first waits `first_s`)."""
        return float(min(self.first_s * 2 ** max(failures - 1, 0), self.longest_s))


# For tests, where a retry may come at once.
NO_PAUSE = Backoff(0.0, 0.0)
