"""The framework's ceiling: a bare Litestar endpoint that validates a report and does nothing else.

Served by the same `serve()` as the reports service, in a process of its own:

    .venv/bin/python -m bench.bare_app --port 18890
"""

import argparse

from litestar import Litestar, get, post
from litestar.params import JSONBody

from stadtmelder_reports.http.schemas import ReportIn
from stadtmelder_shared.serve import serve


@post("/api/v1/reports", status_code=201)
async def accept_report(data: JSONBody[ReportIn]) -> dict[str, str]:
    return {"id": "BARE", "status": "submitted", "category": data.category}


@get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "live"}


def create_app() -> Litestar:
    return Litestar([accept_report, live])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    serve(create_app(), "127.0.0.1", arguments.port)


if __name__ == "__main__":
    main()
