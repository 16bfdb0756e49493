"""The one interface every send method implements, and the errors it raises."""

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Protocol

import httpx

from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.work_item_events import WorkItemQueued

# HTTP answers that say "not now" rather than "never": retried like server errors.
RETRYABLE_CLIENT_STATUSES = frozenset({408, 425, 429})


class SendError(Exception):
    """A work item did not reach the department by one method; worth trying again.

    Messages name the method and the kind of failure only, never the work item's contents,
    because they are stored in the send log and shown to operators.
    """


class PermanentSendError(SendError):
    """Trying again at once cannot help (a rejected request, a missing setting).

    The send is still recorded as failed, so a later retry can deliver it once fixed.
    """


class Sender(Protocol):
    async def send(self, item: WorkItemQueued, method: SendMethod) -> str | None:
        """Deliver `item` or raise; return the receiver's id for it (e.g. its request id)."""
        ...


def method_key(method: SendMethod) -> str:
    """A readable name of one method of a department, unique among its methods."""
    target = {
        "kafka": None,
        "webhook": method.url,
        "email": method.mailbox,
        "open311": f"{method.url}#{method.service_code}",
    }[method.kind]
    return method.kind if target is None else f"{method.kind} {target}"


def required(value: str | None, setting: str, method: SendMethod) -> str:
    if not value:
        raise PermanentSendError(f"{method.kind} method has no {setting} configured")
    return value


def check_delivery_status(response: httpx.Response, what: str) -> None:
    """2xx is delivered; 4xx except 408/425/429 is permanent; everything else is retried."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if 400 <= status < 500 and status not in RETRYABLE_CLIENT_STATUSES:
        raise PermanentSendError(f"{what} refused the work item with HTTP {status}")
    if 300 <= status < 400:
        raise PermanentSendError(f"{what} redirected with HTTP {status}; configure the final URL")
    raise SendError(f"{what} answered HTTP {status}")


def transport_failure(what: str, error: httpx.TransportError) -> SendError:
    # The exception text may quote the URL or headers; the class name says enough.
    return SendError(f"{what} not reached: {type(error).__name__}")


def secret_from_env(method: SendMethod, environ: Mapping[str, str]) -> str:
    """The method's secret, read when sending so a rotated Secret needs no new code path."""
    name = required(method.secret_env, "secret_env", method)
    value = environ.get(name)
    if not value:
        raise PermanentSendError(f"{method.kind} secret variable {name} is not set")
    return value


@dataclass(frozen=True)
class HttpSender:
    """What the methods that POST to a department's endpoint share: the client and its timeout,
    the environment secrets are read from, the clock requests are stamped by, and which
    failures are worth trying again."""

    # How messages name the receiver, e.g. "open311 endpoint refused the work item ...".
    receiver = "endpoint"

    client: httpx.AsyncClient
    _: KW_ONLY
    timeout_s: float = 10.0
    environ: Mapping[str, str] | None = None
    clock: Callable[[], float] = time.time

    def _secret(self, method: SendMethod) -> str:
        return secret_from_env(method, os.environ if self.environ is None else self.environ)

    async def _post(
        self,
        method: SendMethod,
        url: str,
        *,
        content: bytes | None = None,
        data: Mapping[str, str | list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The receiver's answer if it took the work item; raises a SendError otherwise."""
        try:
            response = await self.client.post(
                url, content=content, data=data, headers=headers, timeout=self.timeout_s
            )
        except httpx.InvalidURL as error:
            raise PermanentSendError(f"{method.kind} url is not a valid URL") from error
        except httpx.TransportError as error:
            raise transport_failure(self.receiver, error) from error
        check_delivery_status(response, self.receiver)
        return response
