"""A local fake Databricks workspace: the REST routes `databricks-sdk` really calls, over HTTP.

A stdlib `ThreadingHTTPServer` on 127.0.0.1 (ephemeral port) answers host metadata, OIDC
discovery and client-credentials tokens, SCIM `Me`, Unity Catalog effective permissions and
catalog/schema lookups, Jobs 2.2 (run-now, runs/submit, runs/get, runs/get-output,
runs/cancel) and the Files API (upload, download via a presigned URL or directly, directory
listing), with payloads shaped like a real workspace's. Every request is recorded, so tests
can assert what the SDK sent (paths, bodies, Authorization headers).

Scenarios are plain state the test sets: identities and tokens (each user's own token is
honoured: grants, Jobs access and SCIM answer for that user), grants and owners, and for
runs a list of (life_cycle, result) steps a run walks through, one step per `runs/get`,
answered both as the deprecated `state` object and as the Jobs 2.2 `status` object
(QUEUED, BLOCKED, INTERNAL_ERROR and TIMEDOUT included). Failures a real workspace has on a
bad day are scenarios too: `fail_next` queues 429/500/503 answers for a route (429 and 503
carry `Retry-After: 0`, so the SDK's own retry does not slow tests), and `jobs_forbidden`
answers 403 on Jobs for a user without CAN_MANAGE_RUN. Submits honour `idempotency_token`.
"""

from __future__ import annotations

import base64
import itertools
import json
import socket
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WORKSPACE_ID = "1234567890123456"
# Realistic identities: a service principal's SCIM userName is its application id.
SP_CLIENT_ID = "6a1b2c3d-0000-4000-8000-00000000c11e"
SP_SECRET = "fake-sp-secret"
SP_NAME = SP_CLIENT_ID
USER_NAME = "alice@example.com"

SUCCESS_STEPS = [("PENDING", None), ("RUNNING", None), ("TERMINATED", "SUCCESS")]


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Identity:
    user_name: str
    display_name: str
    groups: list[str] = field(default_factory=list)


@dataclass
class FakeRun:
    run_id: int
    task_run_id: int
    job_id: int | None
    request: dict[str, Any]
    steps: list[tuple[str, str | None]]
    error: str | None
    error_trace: str | None
    created_ms: int
    start_ms: int = 0
    end_ms: int = 0
    step: int = -1
    cancelled: bool = False

    def advance(self) -> tuple[str, str | None]:
        self.step = min(self.step + 1, len(self.steps) - 1)
        life, result = self.steps[self.step]
        now = int(time.time() * 1000)
        if life in ("RUNNING", "TERMINATING", "TERMINATED") and not self.start_ms:
            self.start_ms = now
        if life == "TERMINATED" and not self.end_ms:
            self.end_ms = now
        return life, result


class _ApiError(Exception):
    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_code, self.message = status, error_code, message


class FakeWorkspace:
    """The server plus its scenario state; use as a context manager or start()/stop()."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.unhandled: list[Recorded] = []
        self.tokens: dict[str, Identity] = {}
        self.clients: dict[str, tuple[str, Identity]] = {}
        # (SECURABLE_TYPE, full_name) -> principal -> privileges granted directly on it
        self.grants: dict[tuple[str, str], dict[str, list[str]]] = {}
        self.owners: dict[tuple[str, str], str] = {}
        # Securables whose permissions and details the caller may not read (403).
        self.forbidden: set[tuple[str, str]] = set()
        self.jobs: set[int] = set()
        self.runs: dict[int, FakeRun] = {}
        self.run_steps = list(SUCCESS_STEPS)
        self.run_error: str | None = None
        self.run_error_trace: str | None = None
        self.files: dict[str, tuple[bytes, float]] = {}
        self.presigned: dict[str, str] = {}
        # File uploads whose path ends with one of these are refused (403), e.g. "progress.json".
        self.refuse_uploads: set[str] = set()
        # (path prefix, or text in path?query, HTTP status, error_code) answered, in order, to the
        # next matching requests.
        self.fail_next: list[tuple[str, int, str]] = []
        # Users (user names) who get 403 on every Jobs route.
        self.jobs_forbidden: set[str] = set()
        # False: runs/get sends only the Jobs 2.2 `status` object, no deprecated `state`.
        self.send_legacy_state = True
        self.idempotency: dict[str, int] = {}
        self._ids = itertools.count(1001)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        sp = Identity(SP_NAME, "idgraph-app")
        self.clients[SP_CLIENT_ID] = (SP_SECRET, sp)

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> "FakeWorkspace":
        workspace = self

        class Handler(_Handler):
            fake = workspace

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval (default 0.5 s per test).
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-workspace", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeWorkspace":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server, "start() the fake workspace first"
        return f"http://127.0.0.1:{self._server.server_port}"

    # ---- scenario set-up ------------------------------------------------------------------
    def add_user(self, token: str, user_name: str = USER_NAME, groups: list[str] | None = None) -> Identity:
        identity = Identity(user_name, user_name.split("@")[0].title(), list(groups or []))
        self.tokens[token] = identity
        return identity

    def grant(self, principal: str, securable_type: str, full_name: str, *privileges: str) -> None:
        self.grants.setdefault((securable_type, full_name), {}).setdefault(principal, []).extend(privileges)

    def add_schema(self, catalog: str, schema: str, catalog_owner: str = "admins", schema_owner: str = "admins") -> None:
        self.owners[("CATALOG", catalog)] = catalog_owner
        self.owners[("SCHEMA", f"{catalog}.{schema}")] = schema_owner

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(path_prefix) and (method is None or r.method == method)]

    # ---- routes ---------------------------------------------------------------------------
    def handle(self, req: Recorded, host: str) -> tuple[int, dict[str, str], bytes]:
        p, m = req.path, req.method
        target = p + "?" + "&".join(f"{k}={v}" for k, values in req.query.items() for v in values)
        with self._lock:
            failure = next((f for f in self.fail_next if target.startswith(f[0]) or f[0] in target), None)
            if failure:
                self.fail_next.remove(failure)
        if failure:
            _, status, code = failure
            headers = {"Content-Type": "application/json"}
            if status in (429, 503):
                headers["Retry-After"] = "0"
            return status, headers, json.dumps({"error_code": code, "message": f"injected {status} {code}"}).encode()
        if p == "/.well-known/databricks-config":
            return _json(200, {"oidc_endpoint": f"{host}/oidc", "workspace_id": WORKSPACE_ID, "cloud": "aws"})
        if p == "/oidc/.well-known/oauth-authorization-server":
            return _json(200, {
                "issuer": f"{host}/oidc",
                "authorization_endpoint": f"{host}/oidc/v1/authorize",
                "token_endpoint": f"{host}/oidc/v1/token",
                "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            })
        if p == "/oidc/v1/token" and m == "POST":
            return self._token(req)
        if p.startswith("/_storage/"):
            return self._presigned_download(p)
        try:
            who = self._authenticate(req)
            return self._api(req, who, host)
        except _ApiError as e:
            return _json(e.status, {"error_code": e.error_code, "message": e.message})

    def _token(self, req: Recorded) -> tuple[int, dict[str, str], bytes]:
        form = urllib.parse.parse_qs(req.body.decode())
        auth = req.headers.get("Authorization", "")
        client_id = secret = None
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", [None])[0], form.get("client_secret", [None])[0]
        known = self.clients.get(client_id or "")
        if form.get("grant_type") != ["client_credentials"] or not known or known[0] != secret:
            return _json(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        token = f"oauth-{next(self._ids)}"
        self.tokens[token] = known[1]
        return _json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "all-apis"})

    def _authenticate(self, req: Recorded) -> Identity:
        auth = req.headers.get("Authorization", "")
        identity = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if identity is None:
            raise _ApiError(401, "UNAUTHENTICATED", "Invalid access token.")
        return identity

    def _api(self, req: Recorded, who: Identity, host: str) -> tuple[int, dict[str, str], bytes]:
        p, m = req.path, req.method
        if p == "/api/2.0/preview/scim/v2/Me" and m == "GET":
            return _json(200, {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": str(zlib.crc32(who.user_name.encode())),
                "userName": who.user_name,
                "displayName": who.display_name,
                "active": True,
                "groups": [{"display": g, "value": str(zlib.crc32(g.encode())), "type": "direct"} for g in who.groups],
            })
        if p.startswith("/api/2.1/unity-catalog/effective-permissions/") and m == "GET":
            kind, _, full_name = urllib.parse.unquote(p[len("/api/2.1/unity-catalog/effective-permissions/"):]).partition("/")
            return self._effective_permissions(kind.upper(), full_name, req.query)
        for kind, prefix in (("CATALOG", "/api/2.1/unity-catalog/catalogs/"), ("SCHEMA", "/api/2.1/unity-catalog/schemas/")):
            if p.startswith(prefix) and m == "GET":
                return self._securable_info(kind, urllib.parse.unquote(p[len(prefix):]))
        if p.startswith("/api/2.2/jobs/"):
            if who.user_name in self.jobs_forbidden:
                raise _ApiError(403, "PERMISSION_DENIED", f"{who.user_name} does not have CAN_MANAGE_RUN on this job.")
            return self._jobs(p[len("/api/2.2/jobs/"):], m, req, who, host)
        if p.startswith("/api/2.0/fs/"):
            return self._files(p, m, req, host)
        self.unhandled.append(req)
        raise _ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{m} {p}'")

    # ---- Unity Catalog ----------------------------------------------------------------------
    def _exists(self, kind: str, full_name: str) -> bool:
        if (kind, full_name) in self.forbidden:
            raise _ApiError(403, "PERMISSION_DENIED", f"User does not have USE CATALOG on Catalog '{full_name.split('.')[0]}'.")
        return (kind, full_name) in self.owners

    def _securable_info(self, kind: str, full_name: str) -> tuple[int, dict[str, str], bytes]:
        if not self._exists(kind, full_name):
            raise _ApiError(404, f"{kind}_DOES_NOT_EXIST", f"{kind.title()} '{full_name}' does not exist.")
        body = {"name": full_name.split(".")[-1], "full_name": full_name, "owner": self.owners[(kind, full_name)], "metastore_id": "m-1"}
        if kind == "SCHEMA":
            body["catalog_name"] = full_name.split(".")[0]
        return _json(200, body)

    def _effective_permissions(self, kind: str, full_name: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        if not self._exists(kind, full_name):
            raise _ApiError(404, f"{kind}_DOES_NOT_EXIST", f"{kind.title()} '{full_name}' does not exist.")
        by_principal: dict[str, list[dict[str, str]]] = {}
        if kind == "SCHEMA":  # privileges granted on the catalog are inherited by its schemas
            catalog = full_name.split(".")[0]
            for principal, privileges in self.grants.get(("CATALOG", catalog), {}).items():
                by_principal.setdefault(principal, []).extend(
                    {"privilege": p, "inherited_from_type": "CATALOG", "inherited_from_name": catalog} for p in privileges
                )
        for principal, privileges in self.grants.get((kind, full_name), {}).items():
            by_principal.setdefault(principal, []).extend({"privilege": p} for p in privileges)
        wanted = query.get("principal", [None])[0]
        assignments = [{"principal": k, "privileges": v} for k, v in sorted(by_principal.items()) if wanted in (None, k)]
        if "max_results" not in query:
            return _json(200, {"privilege_assignments": assignments})
        # Paginated form: one principal per page, as a server may split pages.
        start = int(query.get("page_token", ["0"])[0])
        page: dict[str, Any] = {"privilege_assignments": assignments[start : start + 1]}
        if start + 1 < len(assignments):
            page["next_page_token"] = str(start + 1)
        return _json(200, page)

    # ---- Jobs ---------------------------------------------------------------------------------
    def _jobs(self, route: str, m: str, req: Recorded, who: Identity, host: str) -> tuple[int, dict[str, str], bytes]:
        if route == "run-now" and m == "POST":
            body = req.json()
            if body.get("job_id") not in self.jobs:
                raise _ApiError(400, "INVALID_PARAMETER_VALUE", f"Job {body.get('job_id')} does not exist.")
            run = self._new_run(body, body["job_id"])
            return _json(200, {"run_id": run.run_id, "number_in_job": run.run_id})
        if route == "runs/submit" and m == "POST":
            body = req.json()
            if not body.get("tasks"):
                raise _ApiError(400, "INVALID_PARAMETER_VALUE", "At least one task is required.")
            return _json(200, {"run_id": self._new_run(body, None).run_id})
        if route == "runs/get" and m == "GET":
            return _json(200, self._run_json(self._run(req.query), host, advance=True))
        if route == "runs/get-output" and m == "GET":
            run_id = int(req.query.get("run_id", ["0"])[0])
            if run_id in self.runs:
                raise _ApiError(400, "INVALID_PARAMETER_VALUE", "Retrieving the output of runs with multiple tasks is not supported. "
                                "Please retrieve the output of each individual task run instead.")
            run = next((r for r in self.runs.values() if r.task_run_id == run_id), None)
            if run is None:
                raise _ApiError(400, "INVALID_PARAMETER_VALUE", f"Run {run_id} does not exist.")
            out: dict[str, Any] = {"metadata": self._run_json(run, host, advance=False)["tasks"][0]}
            life, result = run.steps[max(run.step, 0)]
            if result not in (None, "SUCCESS") and run.error:
                out["error"] = run.error
                if run.error_trace:
                    out["error_trace"] = run.error_trace
            out["logs"] = "generating...\n"
            return _json(200, out)
        if route == "runs/cancel" and m == "POST":
            run = self._run({"run_id": [str(req.json().get("run_id"))]})
            if not run.cancelled and run.steps[max(run.step, 0)][0] != "TERMINATED":
                run.cancelled = True
                run.steps = run.steps[: max(run.step, 0) + 1] + [("TERMINATING", None), ("TERMINATED", "CANCELED")]
            return _json(200, {})
        self.unhandled.append(req)
        raise _ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{m} /api/2.2/jobs/{route}'")

    def _new_run(self, body: dict[str, Any], job_id: int | None) -> FakeRun:
        with self._lock:
            token = body.get("idempotency_token")
            if token and token in self.idempotency:  # the same launch again: the same run
                return self.runs[self.idempotency[token]]
            run_id = next(self._ids)
            if token:
                self.idempotency[token] = run_id
            run = FakeRun(run_id, run_id * 10 + 1, job_id, body, list(self.run_steps), self.run_error, self.run_error_trace, int(time.time() * 1000))
            self.runs[run_id] = run
        return run

    def _run(self, query: dict[str, list[str]]) -> FakeRun:
        raw = query.get("run_id", [""])[0]
        run = self.runs.get(int(raw)) if raw.isdigit() else None
        if run is None:
            raise _ApiError(400, "INVALID_PARAMETER_VALUE", f"Run {raw} does not exist.")
        return run

    def _run_json(self, run: FakeRun, host: str, advance: bool) -> dict[str, Any]:
        life, result = run.advance() if advance else run.steps[max(run.step, 0)]
        state: dict[str, Any] = {"life_cycle_state": life, "state_message": "", "user_cancelled_or_timedout": run.cancelled}
        state["state_message"] = _MESSAGES.get(result or life, "")
        if result:
            state["result_state"] = result
        status = _status_object(life, result, state["state_message"])
        page = f"{host}/?o={WORKSPACE_ID}#job/{run.job_id or 0}/run/{run.run_id}"
        task = {
            "task_key": "generate",
            "run_id": run.task_run_id,
            "state": dict(state),
            "status": status,
            "start_time": run.start_ms,
            "end_time": run.end_ms,
            "attempt_number": 0,
            "run_page_url": page,
        }
        spec = (run.request.get("tasks") or [{}])[0]
        for key in ("python_wheel_task", "spark_python_task", "environment_key", "existing_cluster_id", "libraries"):
            if key in spec:
                task[key] = spec[key]
        out = {
            "job_id": run.job_id,
            "run_id": run.run_id,
            "number_in_job": run.run_id,
            "run_name": run.request.get("run_name", "idgraph"),
            "run_type": "JOB_RUN" if run.job_id else "SUBMIT_RUN",
            "creator_user_name": SP_NAME,
            "state": state,
            "status": status,
            "start_time": run.start_ms,
            "end_time": run.end_ms,
            "run_page_url": page,
            "tasks": [task],
        }
        if not self.send_legacy_state:
            del out["state"], task["state"]
        if run.job_id:
            out["job_parameters"] = [{"name": k, "value": v} for k, v in (run.request.get("job_parameters") or {}).items()]
        return out

    # ---- Files --------------------------------------------------------------------------------
    def _files(self, p: str, m: str, req: Recorded, host: str) -> tuple[int, dict[str, str], bytes]:
        if p.startswith("/api/2.0/fs/files/"):
            path = urllib.parse.unquote(p[len("/api/2.0/fs/files"):])
            _volume_path(path)
            if m == "PUT":
                if any(path.endswith(suffix) for suffix in self.refuse_uploads):
                    raise _ApiError(403, "PERMISSION_DENIED", f"User does not have WRITE VOLUME on {path}.")
                if path in self.files and req.query.get("overwrite") != ["true"]:
                    raise _ApiError(409, "ALREADY_EXISTS", f"The file being created already exists: {path}")
                self.files[path] = (req.body, time.time())
                return 204, {}, b""
            if m in ("GET", "HEAD"):
                return self._file_response(path, m)
            if m == "DELETE":
                if self.files.pop(path, None) is None:
                    raise _ApiError(404, "NOT_FOUND", f"The file being accessed is not found: {path}")
                return 204, {}, b""
        if p == "/api/2.0/fs/create-download-url" and m == "POST":
            path = req.query.get("path", [""])[0]
            if path not in self.files:
                raise _ApiError(404, "NOT_FOUND", f"The file being accessed is not found: {path}")
            key = f"k{next(self._ids)}"
            self.presigned[key] = path
            return _json(200, {"url": f"{host}/_storage/{key}", "headers": []})
        if p == "/api/2.0/fs/endpoints" and m == "GET":
            # Endpoint discovery (databricks-sdk >= 0.16x asks before a transfer). This workspace is
            # one the API is not yet rolled out to: 404, and the SDK uses its built-in order
            # (presigned URLs, then Files API 2.0 on this host), both served below.
            raise _ApiError(404, "ENDPOINT_NOT_FOUND", "No API found for 'GET /api/2.0/fs/endpoints'")
        if p.startswith("/api/2.0/fs/directories/") and m in ("GET", "HEAD"):
            path = urllib.parse.unquote(p[len("/api/2.0/fs/directories"):]).rstrip("/")
            _volume_path(path)
            return self._list(path, m)
        self.unhandled.append(req)
        raise _ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{m} {p}'")

    def _file_response(self, path: str, method: str) -> tuple[int, dict[str, str], bytes]:
        if path not in self.files:
            raise _ApiError(404, "NOT_FOUND", f"The file being accessed is not found: {path}")
        data, mtime = self.files[path]
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data)), "Last-Modified": formatdate(mtime, usegmt=True)}
        return 200, headers, (data if method == "GET" else b"")

    def _presigned_download(self, p: str) -> tuple[int, dict[str, str], bytes]:
        # Cloud storage answers presigned URLs without workspace auth, with XML errors.
        path = self.presigned.get(p[len("/_storage/"):])
        if path is None or path not in self.files:
            return 403, {"Content-Type": "application/xml"}, b"<Error><Code>AccessDenied</Code></Error>"
        return self._file_response(path, "GET")

    def _list(self, path: str, method: str) -> tuple[int, dict[str, str], bytes]:
        prefix = path + "/"
        entries: dict[str, dict[str, Any]] = {}
        for file_path, (data, mtime) in self.files.items():
            if not file_path.startswith(prefix):
                continue
            head, _, rest = file_path[len(prefix):].partition("/")
            if rest:
                entries.setdefault(head, {"path": f"{prefix}{head}/", "name": head, "is_directory": True})
            else:
                entries[head] = {"path": file_path, "name": head, "is_directory": False, "file_size": len(data), "last_modified": int(mtime * 1000)}
        if not entries:
            raise _ApiError(404, "NOT_FOUND", f"The directory being accessed is not found: {path}")
        if method == "HEAD":
            return 200, {}, b""
        return _json(200, {"contents": [entries[k] for k in sorted(entries)]})


# The message a run shows in each (life cycle or result) state.
_MESSAGES = {
    "PENDING": "Waiting for cluster",
    "QUEUED": "Queued: the job is at its maximum concurrent runs.",
    "BLOCKED": "Blocked by an upstream run.",
    "FAILED": "Task generate failed with message: Workload failed, see run output for details.",
    "CANCELED": "Run cancelled.",
    "TIMEDOUT": "Run timed out after 3600 seconds.",
    "INTERNAL_ERROR": "An internal error occurred in the Jobs service.",
}
# Jobs 2.2 `status` of a run in each deprecated (life cycle, result) state: (state, code, type).
_STATUS = {
    ("TERMINATED", "SUCCESS"): ("TERMINATED", "SUCCESS", "SUCCESS"),
    ("TERMINATED", "FAILED"): ("TERMINATED", "RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
    ("TERMINATED", "CANCELED"): ("TERMINATED", "USER_CANCELED", "SUCCESS"),
    # A code newer than the SDK's enum: the SDK reads it as None, the type and message remain.
    ("TERMINATED", "TIMEDOUT"): ("TERMINATED", "TIMED_OUT", "CLIENT_ERROR"),
    ("INTERNAL_ERROR", None): ("TERMINATED", "INTERNAL_ERROR", "INTERNAL_ERROR"),
    ("SKIPPED", None): ("TERMINATED", "SKIPPED", "SUCCESS"),
}


def _status_object(life: str, result: str | None, message: str) -> dict[str, Any]:
    state, code, kind = _STATUS.get((life, result), (life, None, None))
    status: dict[str, Any] = {"state": state}
    if code:
        status["termination_details"] = {"code": code, "type": kind, "message": message}
    elif state in ("QUEUED", "BLOCKED"):
        status["queue_details"] = {"code": "ACTIVE_RUNS_LIMIT_REACHED", "message": message}
    return status


def _volume_path(path: str) -> None:
    if not path.startswith("/Volumes/") or len(path.split("/")) < 5:
        raise _ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid path: {path}. Paths must be under /Volumes/<catalog>/<schema>/<volume>/.")


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeWorkspace
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every keep-alive request.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        req = Recorded(self.command, url.path, urllib.parse.parse_qs(url.query), dict(self.headers.items()), body)
        self.fake.requests.append(req)
        status, headers, payload = self.fake.handle(req, f"http://127.0.0.1:{self.server.server_port}")
        self.send_response(status)
        headers.setdefault("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and payload:
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = _serve
