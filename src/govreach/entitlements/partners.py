"""Partner exchange: suppliers send their customer lists and get back, per supply point, only yes/no.

Data minimisation (DESIGN.md): a supplier learns, for its own customers only, the supply-point code
(CPE), whether the social tariff applies and from when; never income, benefits, names, tax numbers or
households. An uploaded list replaces that supplier's rows in the customers dataset the next cycle reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import io
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from govreach.entitlements.config import load_cycle_config
from govreach.entitlements.models import (
    CustomerListUpload,
    Cycle,
    Entitlement,
    Partner,
    PartnerMembership,
    PartnerToken,
)
from govreach.entitlements.services import cycles_dir, pack_path, registries_fingerprint

PACK_ID = "pt-social-energy-tariff"
TOKEN_PREFIX = "grp_"  # noqa: S105 - tells our tokens apart; not a secret
MAX_UPLOAD_BYTES_DEFAULT = 50 * 1024 * 1024
MAX_PROBLEMS = 100
ANSWER_FIELDS = ("supply_point", "eligible", "start_date")

# The documented columns of a customer list (CSV, UTF-8, comma-separated, header on the first row).
REQUIRED_COLUMNS = (
    "cpe",
    "national_id",
    "given_name",
    "family_name",
    "address",
    "postcode",
    "area_code",
    "power_kva",
    "voltage",
    "is_domestic_use",
    "is_own_name",
    "is_permanent_home",
    "contract_start_on",
)
OPTIONAL_COLUMNS = ("customer_ref",)
_CPE = re.compile(r"^PT[0-9]{16}[A-Z]{2}$")
_NIF = re.compile(r"^[0-9]{9}$")
_POSTCODE = re.compile(r"^[0-9]{4}-[0-9]{3}$")
_AREA = re.compile(r"^PT-[0-9]{6}$")
_VOLTAGES = ("BTN", "BTE", "MT")
_TRUE = {"true", "1", "yes", "y", "sim", "s"}
_FALSE = {"false", "0", "no", "n", "nao", "não"}

# The customers dataset as the cycle reads it (services._SOURCE_COLUMNS) plus what the generator writes.
CUSTOMERS_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("national_id", pa.string()),
        ("given_name", pa.string()),
        ("family_name", pa.string()),
        ("birth_date", pa.date32()),
        ("sex", pa.string()),
        ("address", pa.string()),
        ("postcode", pa.string()),
        ("area_code", pa.string()),
        ("phone", pa.string()),
        ("supplier_id", pa.string()),
        ("cpe", pa.string()),
        ("power_kva", pa.float64()),
        ("voltage", pa.string()),
        ("is_domestic_use", pa.bool_()),
        ("is_own_name", pa.bool_()),
        ("is_permanent_home", pa.bool_()),
        ("contract_start_on", pa.date32()),
    ]
)
SNAPSHOT_FILE = "customers_snapshot.parquet"


class PartnerError(Exception):
    """A partner request cannot be done; the message names what and the fix."""


@dataclass(frozen=True)
class RowProblem:
    """A bad row of a customer list: ``row`` as a spreadsheet numbers it (the header is row 1)."""

    row: int
    column: str
    message: str


class CustomerListInvalid(PartnerError):
    """The file is not a valid customer list; ``problems`` say which rows and columns, and why."""

    def __init__(self, detail: str, problems: list[RowProblem]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems


@dataclass(frozen=True)
class PartnerAnswer:
    """All a supplier learns about one of its supply points."""

    supply_point: str
    eligible: bool
    start_date: dt.date | None

    def as_row(self) -> dict[str, Any]:
        return {
            "supply_point": self.supply_point,
            "eligible": self.eligible,
            "start_date": self.start_date.isoformat() if self.start_date else None,
        }


# -- partners and tokens ----------------------------------------------------------------------------------
def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def partner_create(*, supplier_id: str, name: str) -> Partner:
    """The partner of ``supplier_id`` (created once; the name is updated)."""
    partner, created = Partner.objects.get_or_create(supplier_id=supplier_id, defaults={"name": name})
    if not created and partner.name != name:
        partner.name = name
        partner.save(update_fields=["name"])
    return partner


@transaction.atomic
def partner_member_add(*, partner: Partner, user: User) -> PartnerMembership:
    membership, _ = PartnerMembership.objects.get_or_create(partner=partner, user=user)
    return membership


@transaction.atomic
def partner_token_create(
    *, partner: Partner, name: str, by_user: User | None = None
) -> tuple[PartnerToken, str]:
    """A new API token; the raw token is returned once and only its hash is kept."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PartnerToken.objects.create(
        partner=partner, name=name[:100] or "API", prefix=raw[:12], key_hash=_hash(raw), created_by=by_user
    )
    return token, raw


@transaction.atomic
def partner_token_revoke(*, token: PartnerToken) -> PartnerToken:
    """Revoke a token: from now on it authenticates nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def partner_token_authenticate(raw: str) -> PartnerToken | None:
    """The active token whose hash matches ``raw`` (with its partner), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = PartnerToken.objects.select_related("partner").filter(key_hash=_hash(raw)).first()
    if token is None or token.revoked_at is not None:
        return None
    PartnerToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def partner_for_user(user: Any) -> Partner | None:
    """The partner a signed-in user works for, or None (a user works for at most one here)."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = PartnerMembership.objects.select_related("partner").filter(user_id=user.pk).first()
    return membership.partner if membership is not None else None


# -- where the customer lists go --------------------------------------------------------------------------
def customer_registries_dir(pack_id: str = PACK_ID) -> Path:
    """The registries folder the next cycle reads: the setting, else the latest cycle's, else the default."""
    configured = getattr(settings, "GOVREACH_CUSTOMER_REGISTRIES_DIR", None)
    if configured:
        return Path(configured)
    latest = Cycle.objects.filter(pack_id=pack_id).order_by("-decided_on").first()
    if latest is not None and latest.registries_dir:
        return Path(latest.registries_dir)
    return Path(settings.VAR_DIR) / "registries" / "pt"


def customers_dataset_path(registries: Path, pack_id: str = PACK_ID) -> Path:
    """``<registries>/registries/<customers>.parquet`` (or without the inner folder), as the cycle reads."""
    name = load_cycle_config(pack_path(pack_id)).registries.customers
    inner = registries / "registries"
    if (
        (inner / f"{name}.parquet").exists()
        or inner.is_dir()
        or not (registries / f"{name}.parquet").exists()
    ):
        return inner / f"{name}.parquet"
    return registries / f"{name}.parquet"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time: two suppliers uploading together must not lose each other's rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- parsing a customer list ------------------------------------------------------------------------------
def _max_bytes() -> int:
    return int(getattr(settings, "GOVREACH_CUSTOMER_LIST_MAX_BYTES", MAX_UPLOAD_BYTES_DEFAULT))


def _bool(value: str) -> bool | None:
    v = value.strip().lower()
    return True if v in _TRUE else False if v in _FALSE else None


def customer_list_parse(content: bytes, *, supplier_id: str) -> pa.Table:
    """The rows of a customer list as the cycle's customers table; CustomerListInvalid naming each bad row.

    Every row must be valid: a list with a bad row changes nothing, so the supplier fixes it and resends.
    """
    if len(content) > _max_bytes():
        raise CustomerListInvalid(
            f"The file has {len(content):,} bytes, more than the limit of {_max_bytes():,}.",
            [RowProblem(0, "file", "split the list or compress nothing: send plain CSV under the limit")],
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CustomerListInvalid(
            "The file is not UTF-8 text.", [RowProblem(0, "file", "save the list as CSV UTF-8")]
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown or not header:
        header_problems = [RowProblem(1, c, "required column missing") for c in missing]
        header_problems += [
            RowProblem(1, c, "unknown column (leave it out: we take only what we need)") for c in unknown
        ]
        if not header:
            header_problems.append(RowProblem(1, "file", "the file is empty"))
        raise CustomerListInvalid(
            "The header is not the documented one: " + ", ".join(REQUIRED_COLUMNS) + ".", header_problems
        )
    reader.fieldnames = header
    columns: dict[str, list[Any]] = {name: [] for name in CUSTOMERS_SCHEMA.names}
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(reader):
        row_no = index + 2
        if None in raw:
            problems.append(RowProblem(row_no, "row", f"more values than the {len(header)} columns"))
            continue
        row = {k: (v or "").strip() for k, v in raw.items()}

        def bad(column: str, message: str, row_no: int = row_no) -> None:
            problems.append(RowProblem(row_no, column, message))

        cpe = row["cpe"].upper()
        if not _CPE.match(cpe):
            bad("cpe", "not a supply-point code: PT, 16 digits and 2 letters")
        elif cpe in seen:
            bad("cpe", f"the same supply point is on row {seen[cpe]}")
        else:
            seen[cpe] = row_no
        nif = row["national_id"]
        if nif and not _NIF.match(nif):
            bad("national_id", "a tax number has 9 digits (leave it empty when unknown)")
        if not row["address"]:
            bad("address", "the supply point's address is required")
        if not _POSTCODE.match(row["postcode"]):
            bad("postcode", "write the postcode as 1234-567")
        if not _AREA.match(row["area_code"]):
            bad("area_code", "the parish code, PT- and 6 digits, e.g. PT-030101")
        try:
            power = float(row["power_kva"].replace(",", "."))
            if not 0 < power < 1000:
                raise ValueError
        except ValueError:
            power = None
            bad("power_kva", "the contracted power in kVA, a number such as 6.9")
        if row["voltage"].upper() not in _VOLTAGES:
            bad("voltage", "one of " + ", ".join(_VOLTAGES))
        flags: dict[str, bool | None] = {}
        for name in ("is_domestic_use", "is_own_name", "is_permanent_home"):
            flags[name] = _bool(row[name])
            if flags[name] is None:
                bad(name, "true or false")
        try:
            started = dt.date.fromisoformat(row["contract_start_on"]) if row["contract_start_on"] else None
        except ValueError:
            started = None
            bad("contract_start_on", "a date as YYYY-MM-DD (or empty)")
        if len(problems) >= MAX_PROBLEMS:
            break
        if problems:
            continue
        ref = row.get("customer_ref") or cpe
        values = {
            "record_id": f"{supplier_id}:{ref}"[:64],
            "national_id": nif or None,
            "given_name": row["given_name"] or None,
            "family_name": row["family_name"] or None,
            "birth_date": None,
            "sex": None,
            "address": row["address"],
            "postcode": row["postcode"],
            "area_code": row["area_code"],
            "phone": None,
            "supplier_id": supplier_id,
            "cpe": cpe,
            "power_kva": power,
            "voltage": row["voltage"].upper(),
            **flags,
            "contract_start_on": started,
        }
        for name, value in values.items():
            columns[name].append(value)
    if problems:
        raise CustomerListInvalid(
            f"{len(problems)} problem(s) in the list; nothing was changed. Fix the rows and send it again.",
            problems[:MAX_PROBLEMS],
        )
    if not seen:
        raise CustomerListInvalid("The list has no customers.", [RowProblem(2, "file", "no data rows")])
    return pa.table(columns, schema=CUSTOMERS_SCHEMA)


# -- uploading --------------------------------------------------------------------------------------------
def cycle_customers_snapshot(cycle: Cycle) -> Path:
    """Who was whose customer in ``cycle``: supply points, suppliers and holders, as the cycle read them.

    Made once from the cycle's customers dataset while it is unchanged (before an upload replaces it);
    PartnerError when the lists changed before a snapshot was taken.
    """
    out = cycles_dir() / str(cycle.pk) / SNAPSHOT_FILE
    if out.exists():
        return out
    registries = Path(cycle.registries_dir)
    config = load_cycle_config(pack_path(cycle.pack_id))
    if registries_fingerprint(registries, config) != cycle.registries_fingerprint:
        raise PartnerError(
            f"cycle {cycle.pk}: the customer lists changed since it ran and no snapshot was kept; "
            "answers and notices are made from the next cycle on"
        )
    source = customers_dataset_path(registries, cycle.pack_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    con = duckdb.connect()
    try:
        con.execute(
            "COPY (SELECT DISTINCT supplier_id, cpe, national_id, given_name, family_name, address, postcode "
            "FROM read_parquet(?) WHERE cpe IS NOT NULL ORDER BY supplier_id, cpe) TO '"
            + tmp.as_posix().replace("'", "''")
            + "' (FORMAT parquet)",
            [source.as_posix()],
        )
    finally:
        con.close()
    tmp.replace(out)
    return out


def _snapshot_cycles_before_change(pack_id: str) -> None:
    for cycle in Cycle.objects.filter(pack_id=pack_id, status=Cycle.Status.COMPLETED).order_by("-decided_on")[
        :1
    ]:
        try:
            cycle_customers_snapshot(cycle)
        except (PartnerError, OSError, duckdb.Error):
            continue  # an older cycle's data is already gone; nothing to keep


def customer_list_upload(
    *,
    partner: Partner,
    content: bytes,
    channel: str,
    by_user: User | None = None,
    token: PartnerToken | None = None,
    pack_id: str = PACK_ID,
) -> CustomerListUpload:
    """Validate a supplier's list and make it that supplier's rows of the next cycle's customers dataset.

    The other suppliers' rows are kept as they are; the previous cycle's customers are snapshotted first,
    so its answers and notices stay about the customers it decided.
    """
    table = customer_list_parse(content, supplier_id=partner.supplier_id)
    target = customers_dataset_path(customer_registries_dir(pack_id), pack_id)
    with _locked(target):
        _snapshot_cycles_before_change(pack_id)
        tmp = target.with_suffix(".upload.parquet")
        con = duckdb.connect()
        try:
            con.register("upload", table)
            names = ", ".join(CUSTOMERS_SCHEMA.names)
            old = (
                f"SELECT {names} FROM read_parquet('{target.as_posix()}') "  # noqa: S608 - our own path
                "WHERE supplier_id IS DISTINCT FROM $supplier UNION ALL "
                if target.exists()
                else ""
            )
            con.execute(
                f"COPY ({old}SELECT {names} FROM upload ORDER BY record_id) "  # noqa: S608 - our own names
                f"TO '{tmp.as_posix()}' (FORMAT parquet)",
                {"supplier": partner.supplier_id} if old else {},
            )
        finally:
            con.close()
        tmp.replace(target)
        return CustomerListUpload.objects.create(
            partner=partner,
            channel=channel,
            uploaded_by=by_user,
            token=token,
            rows=table.num_rows,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            written_to=str(target),
        )


# -- answers ----------------------------------------------------------------------------------------------
def partner_cycle_list(pack_id: str = PACK_ID) -> list[Cycle]:
    """Completed cycles, newest first: the ones a supplier may ask answers for."""
    return list(Cycle.objects.filter(pack_id=pack_id, status=Cycle.Status.COMPLETED).order_by("-decided_on"))


def partner_cycle_get(cycle_id: int | None, pack_id: str = PACK_ID) -> Cycle | None:
    """A completed cycle by id, or the latest one when ``cycle_id`` is None."""
    cycles = Cycle.objects.filter(pack_id=pack_id, status=Cycle.Status.COMPLETED)
    if cycle_id is None:
        return cycles.order_by("-decided_on").first()
    return cycles.filter(pk=cycle_id).first()


def _supply_points_of(partner: Partner, cycle: Cycle) -> list[str]:
    """The supplier's supply points in the cycle; a point two suppliers listed is answered to neither."""
    snapshot = cycle_customers_snapshot(cycle)
    rows = (
        duckdb.connect()
        .execute(
            "SELECT cpe FROM read_parquet(?) GROUP BY cpe "
            "HAVING count(DISTINCT supplier_id) = 1 AND min(supplier_id) = ? ORDER BY cpe",
            [snapshot.as_posix(), partner.supplier_id],
        )
        .fetchall()
    )
    return [str(r[0]) for r in rows]


def partner_answers(*, partner: Partner, cycle: Cycle) -> list[PartnerAnswer]:
    """Yes/no and the start date for each of ``partner``'s supply points in ``cycle``: nothing else.

    Yes when the supply point had an entitlement in force after that cycle (granted in it or before,
    not ended by it, not refused by the customer).
    """
    points = _supply_points_of(partner, cycle)
    starts: dict[str, dt.date] = {}
    in_force = Q(ended_in__isnull=True) | Q(ended_in__decided_on__gt=cycle.decided_on)
    for i in range(0, len(points), 5000):
        chunk = points[i : i + 5000]
        rows = Entitlement.objects.filter(
            in_force,
            pack_id=cycle.pack_id,
            unit_key__in=chunk,
            status__in=[Entitlement.Status.ACTIVE, Entitlement.Status.ENDED],
            granted_in__decided_on__lte=cycle.decided_on,
        ).values_list("unit_key", "valid_from")
        starts.update(dict(rows))
    return [PartnerAnswer(cpe, cpe in starts, starts.get(cpe)) for cpe in points]


def partner_answers_csv(answers: list[PartnerAnswer]) -> str:
    """The answers as CSV with exactly the columns supply_point, eligible (yes/no), start_date."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ANSWER_FIELDS)
    for a in answers:
        writer.writerow(
            [a.supply_point, "yes" if a.eligible else "no", a.start_date.isoformat() if a.start_date else ""]
        )
    return out.getvalue()
