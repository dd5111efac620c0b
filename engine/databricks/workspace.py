"""Who the app or the job is to the workspace, and how a call survives the workspace's bad moments.

`client()` builds the `WorkspaceClient`: the signed-in user (the token a Databricks App
forwards), a personal access token, the app's service principal (OAuth M2M), or the SDK's
default chain inside a job. `retrying()` runs one workspace call again, with exponential
backoff, when the answer is transient: 429, 500, 503 or `TEMPORARILY_UNAVAILABLE` (the SDK
itself already retries 429/503 that carry `Retry-After`; a 500 it does not). Anything else
(a 400, 403 or 404) is raised at once: retrying cannot fix it.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, TypeVar

from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.errors import DatabricksError, DeadlineExceeded, InternalError, ResourceExhausted, TemporarilyUnavailable, TooManyRequests

from engine.config import ConfigError

T = TypeVar("T")

# The SDK's classes for 429, 500, 503, 504 (by status or error code), and error codes a later
# attempt may not get.
TRANSIENT_ERRORS = (TooManyRequests, InternalError, TemporarilyUnavailable, DeadlineExceeded, ResourceExhausted)
TRANSIENT_CODES = frozenset({"TEMPORARILY_UNAVAILABLE", "INTERNAL_ERROR", "REQUEST_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED"})
# Attempts of one call and the first wait between them (doubled each time, capped).
ATTEMPTS = 5
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
# How long the SDK keeps retrying a throttled request itself before raising to retrying().
SDK_RETRY_TIMEOUT_SECONDS = 60


class WorkspaceUnavailableError(RuntimeError):
    """A workspace call kept failing with transient errors after every retry."""


def client(
    host: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    user_token: str | None = None,
    **config: Any,
) -> WorkspaceClient:
    """A WorkspaceClient for the app or the job; the first of these that applies wins.

    1. `user_token` (the `X-Forwarded-Access-Token` header of a Databricks App request, when
       the App has user authorization): act as that user, a bearer token (`auth_type="pat"`).
       Build one client per request; the forwarded token is short-lived.
    2. `token`, else `DATABRICKS_TOKEN`: a personal access token.
    3. `client_id`/`client_secret`, else `DATABRICKS_CLIENT_ID`/`DATABRICKS_CLIENT_SECRET`:
       the service principal, OAuth M2M (`auth_type="oauth-m2m"`), as a Databricks App runs.
    4. Otherwise the SDK's default chain (inside a Databricks job: the runtime's own auth).

    `host` defaults to `DATABRICKS_HOST`. Pinning `auth_type` matters in an App, where the
    service principal's variables are always set: without it the SDK refuses a config that
    has both a token and client credentials. Extra keyword arguments go to the SDK's Config.
    """
    host = host or os.environ.get("DATABRICKS_HOST") or None
    token = token or os.environ.get("DATABRICKS_TOKEN") or None
    client_id = client_id or os.environ.get("DATABRICKS_CLIENT_ID") or None
    client_secret = client_secret or os.environ.get("DATABRICKS_CLIENT_SECRET") or None
    config.setdefault("retry_timeout_seconds", SDK_RETRY_TIMEOUT_SECONDS)
    if user_token or token or (client_id and client_secret):
        if not host:
            raise ConfigError("host", host, "the workspace URL, as host= or DATABRICKS_HOST")
    if user_token or token:
        return WorkspaceClient(config=Config(host=host, token=user_token or token, auth_type="pat", **config))
    if client_id and client_secret:
        return WorkspaceClient(config=Config(host=host, client_id=client_id, client_secret=client_secret, auth_type="oauth-m2m", **config))
    return WorkspaceClient(config=Config(host=host, **config))


def current_user(w: WorkspaceClient) -> str:
    """The caller's user name (a service principal's is its application id)."""
    return retrying(lambda: w.current_user.me().user_name)


def is_transient(exc: BaseException) -> bool:
    """True for an error a later attempt of the same call may not get."""
    if not isinstance(exc, DatabricksError):
        return isinstance(exc, (ConnectionError, TimeoutError))
    return isinstance(exc, TRANSIENT_ERRORS) or (exc.error_code or "") in TRANSIENT_CODES


def retrying(call: Callable[[], T], attempts: int = ATTEMPTS, backoff: float = FIRST_BACKOFF_SECONDS, sleep: Callable[[float], None] = time.sleep) -> T:
    """`call()`, tried up to `attempts` times while it fails transiently (waits 0.5 s, 1 s, 2 s, ...)."""
    wait = backoff
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:
            if not is_transient(exc):
                raise
            if attempt == attempts:
                raise WorkspaceUnavailableError(f"the workspace kept failing after {attempts} attempts: {exc}") from exc
        sleep(wait)
        wait = min(wait * 2, MAX_BACKOFF_SECONDS)
    raise AssertionError("unreachable")
