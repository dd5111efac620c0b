"""Whether a principal may write a run's tables into a Unity Catalog schema: an advisory check.

Writing generated tables needs USE_CATALOG on the catalog, USE_SCHEMA and CREATE_TABLE on
the schema, and MODIFY on the schema when overwriting. The check reads effective grants
(inherited from the catalog; ALL_PRIVILEGES or owning the securable satisfies any of them).
It is advice, not the gate: a grant that cannot be read (403, a group SCIM `Me` does not
list) reads "unknown (the job re-checks before writing)" and does not block a launch; only
a privilege definitely missing does, with the `GRANT` statement that fixes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, PermissionDenied

from engine import names

from .workspace import retrying


class Requirement(NamedTuple):
    """One privilege a run needs: (privilege, securable_type, full_name)."""

    privilege: str
    securable_type: str
    full_name: str


# What writing generated tables needs, as data: (privilege, securable, only when overwriting).
_REQUIREMENTS = (
    ("USE_CATALOG", "CATALOG", False),
    ("USE_SCHEMA", "SCHEMA", False),
    ("CREATE_TABLE", "SCHEMA", False),
    ("MODIFY", "SCHEMA", True),
)
# Privileges that satisfy any other on the same securable (or, inherited, on its children).
_SUPERSEDING = frozenset({"ALL_PRIVILEGES"})
# Every account user is in this group; grants to it count for everyone.
ALL_USERS_GROUP = "account users"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
UNKNOWN_TEXT = "unknown (the job re-checks before writing)"


@dataclass(frozen=True)
class PermissionReport:
    """What a principal may do: `missing` blocks a launch, `unknown` only warns."""

    principal: str
    missing: list[Requirement] = field(default_factory=list)
    unknown: list[Requirement] = field(default_factory=list)
    message: str = ""

    @property
    def blocked(self) -> bool:
        """True only when a privilege is definitely missing (or the securable does not exist)."""
        return bool(self.missing)

    @property
    def ok(self) -> bool:
        """Every privilege was seen granted."""
        return not self.missing and not self.unknown


def required_privileges(catalog: str, schema: str, overwrite: bool) -> list[Requirement]:
    """The privileges writing into `catalog.schema` needs (MODIFY only when overwriting)."""
    names.validate_identifier("catalog", catalog)
    names.validate_identifier("schema", schema)
    full = {"CATALOG": catalog, "SCHEMA": f"{catalog}.{schema}"}
    return [Requirement(p, kind, full[kind]) for p, kind, only_overwrite in _REQUIREMENTS if overwrite or not only_overwrite]


def check_permissions(w: WorkspaceClient, catalog: str, schema: str, overwrite: bool, principal: str | None = None) -> PermissionReport:
    """Check effective Unity Catalog privileges for writing generated tables into `catalog.schema`.

    Without `principal`, the caller is checked (grants to the caller, to the groups SCIM
    lists for it, and to `account users`); with one, grants to exactly that principal.
    A catalog or schema that does not exist counts as missing; one whose grants cannot be
    read (403) counts as unknown. A privilege not seen granted to the caller while grants
    to groups SCIM may not list exist is still "missing": the GRANT text names the caller.
    """
    needed = required_privileges(catalog, schema, overwrite)
    if principal is None:
        me = retrying(w.current_user.me)
        principal = me.user_name
        identities = {principal, ALL_USERS_GROUP, *(g.display for g in me.groups or [] if g.display)}
        query_principal = None
    else:
        identities, query_principal = {principal}, principal
    held: dict[tuple[str, str], set[str]] = {}
    via_groups: dict[tuple[str, str], set[str]] = {}
    absent: dict[tuple[str, str], str] = {}
    unreadable: dict[tuple[str, str], str] = {}
    for securable in dict.fromkeys((r.securable_type, r.full_name) for r in needed):
        try:
            held[securable], via_groups[securable] = _effective_privileges(w, *securable, identities, query_principal)
        except NotFound as exc:
            held[securable], absent[securable] = set(), f"does not exist ({exc}); pick an existing one or ask an admin to create it"
        except PermissionDenied as exc:
            held[securable], unreadable[securable] = set(), f"grants could not be read ({exc})"
    not_seen = [r for r in needed if not held[(r.securable_type, r.full_name)] & ({r.privilege} | _SUPERSEDING)]
    owned = {s for s in {(r.securable_type, r.full_name) for r in not_seen} if s not in absent and _owner(w, *s) in identities}
    not_seen = [r for r in not_seen if (r.securable_type, r.full_name) not in owned]
    unknown = [
        r for r in not_seen
        if (r.securable_type, r.full_name) in unreadable or via_groups.get((r.securable_type, r.full_name), set()) & ({r.privilege} | _SUPERSEDING)
    ]
    for r in unknown:
        if (r.securable_type, r.full_name) not in unreadable:
            unreadable[(r.securable_type, r.full_name)] = "grants some privileges to groups the caller's SCIM record does not list (nested groups)"
    missing = [r for r in not_seen if r not in unknown]
    report = PermissionReport(principal, missing, unknown)
    return PermissionReport(principal, missing, unknown, _permission_message(report, catalog, schema, needed, absent, unreadable))


def _effective_privileges(w: WorkspaceClient, securable_type: str, full_name: str, identities: set[str], principal: str | None) -> tuple[set[str], set[str]]:
    """(privileges granted to `identities`, privileges granted to groups outside them)."""
    privileges: set[str] = set()
    elsewhere: set[str] = set()
    page_token = None
    while True:
        # max_results=0 asks for the paginated form, which the API docs recommend. The path
        # takes the securable type in lower case, as the REST reference writes it.
        page = retrying(lambda: w.grants.get_effective(securable_type.lower(), full_name, max_results=0, page_token=page_token, principal=principal))
        for assignment in page.privilege_assignments or []:
            granted = {p.privilege.value for p in assignment.privileges or [] if p.privilege}
            if assignment.principal in identities:
                privileges |= granted
            elif principal is None and _looks_like_group(assignment.principal or ""):
                elsewhere |= granted
        page_token = page.next_page_token
        if not page_token:
            return privileges, elsewhere


def _looks_like_group(principal: str) -> bool:
    # Users are e-mail addresses and service principals application ids (UUIDs); a group is
    # any other name. The caller may belong to it through a nested group SCIM does not list.
    return "@" not in principal and not _UUID.fullmatch(principal)


def _owner(w: WorkspaceClient, securable_type: str, full_name: str) -> str | None:
    try:
        info = retrying(lambda: w.catalogs.get(full_name) if securable_type == "CATALOG" else w.schemas.get(full_name))
    except (NotFound, PermissionDenied):
        return None
    return info.owner


def _permission_message(report: PermissionReport, catalog: str, schema: str, needed: list[Requirement], absent: dict, unreadable: dict) -> str:
    principal = report.principal
    target = f"{names.quote_identifier(catalog, 'catalog')}.{names.quote_identifier(schema, 'schema')}"
    if report.ok:
        return f"{principal} can write tables into {target} ({', '.join(r.privilege for r in needed)})."
    lines = []
    if report.missing:
        lines.append(f"{principal} cannot write tables into {target}; missing:")
        lines += [f"  - {r.privilege} on {r.securable_type.lower()} {r.full_name}" for r in report.missing]
    if report.unknown:
        lines.append(f"Not known whether {principal} may write tables into {target}:")
        lines += [f"  - {r.privilege} on {r.securable_type.lower()} {r.full_name}: {UNKNOWN_TEXT}" for r in report.unknown]
    for (kind, full_name), reason in {**absent, **unreadable}.items():
        lines.append(f"The {kind.lower()} {full_name} {reason}.")
    by_securable: dict[tuple[str, str], list[str]] = {}
    for r in report.missing:
        if (r.securable_type, r.full_name) not in absent:
            by_securable.setdefault((r.securable_type, r.full_name), []).append(r.privilege.replace("_", " "))
    if by_securable:
        lines.append("Ask an owner of these objects (or a metastore admin) to run, then check again:")
    quoted = {"CATALOG": names.quote_identifier(catalog, "catalog"), "SCHEMA": target}
    for (kind, _), privileges in by_securable.items():
        lines.append(f"  GRANT {', '.join(privileges)} ON {kind} {quoted[kind]} TO {_quote_principal(principal)};")
    return "\n".join(lines)


def _quote_principal(principal: str) -> str:
    # Principals come from the workspace, not the form; still escape as Databricks SQL does.
    return "`" + principal.replace("`", "``") + "`"
