"""Open311 GeoReport v2: the work item POSTed as a service request to a department back office."""

import httpx

from stadtmelder_routing.sending.methods import HttpSender, PermanentSendError, required
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.work_item_events import WorkItemQueued

DESCRIPTION_LIMIT = 4000  # GeoReport v2 limits the description to 4,000 characters


class Open311Sender(HttpSender):
    receiver = "open311 endpoint"

    async def send(self, item: WorkItemQueued, method: SendMethod) -> str | None:
        url = required(method.url, "url", method)
        service_code = required(method.service_code, "service_code", method)
        form = open311_form(item, service_code)
        if method.secret_env:
            form.append(("api_key", self._secret(method)))
        return request_id(await self._post(method, url, data=_grouped(form)))


def open311_form(item: WorkItemQueued, service_code: str) -> list[tuple[str, str]]:
    """The form fields of a POST Service Request; repeated names carry multi-valued answers."""
    reference = f"\n\n(Stadtmelder-Meldung {item.report_id})"
    description = item.description.strip()[: DESCRIPTION_LIMIT - len(reference)] + reference
    form = [("service_code", service_code)]
    if item.location is not None:
        form += [("lat", str(item.location.lat)), ("long", str(item.location.lon))]
    if item.address:
        form.append(("address_string", item.address))
    form.append(("description", description))
    for code, value in sorted(item.answers.items()):
        if isinstance(value, list):
            form += [(f"attribute[{code}][]", entry) for entry in value]
        else:
            form.append((f"attribute[{code}]", value if isinstance(value, str) else f"{value:g}"))
    return form


def request_id(response: httpx.Response) -> str:
    """The back office's id from `[{"service_request_id": ...}]`, or its deferred `token`."""
    try:
        answer = response.json()
    except ValueError as error:
        raise PermanentSendError("open311 endpoint answered without JSON") from error
    first = answer[0] if isinstance(answer, list) and answer else answer
    if isinstance(first, dict):
        for field in ("service_request_id", "token"):
            if first.get(field) not in (None, ""):
                return str(first[field])
    # Accepted but unnamed: posting again could file it twice, so an operator looks first.
    raise PermanentSendError("open311 endpoint answered without service_request_id")


def _grouped(form: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    grouped: dict[str, str | list[str]] = {}
    for name, value in form:
        if name.endswith("[]"):
            values = grouped.setdefault(name, [])
            assert isinstance(values, list)
            values.append(value)
        else:
            grouped[name] = value
    return grouped
