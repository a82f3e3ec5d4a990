"""Registry data: areas, registry sources with provenance, persons, households and record links.

Every fact about a person arrives as a ``SourceRecord``: the row one agency's extract held, with the
dates the source was first and last seen saying it. Persons are the linked view over those records;
``RecordLink`` keeps how records were matched (probability, evidence) and a clerk's decision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

AREA_PATH_SEPARATOR = "/"


class Area(models.Model):
    """One area in a country's hierarchy (country > region > district > ... > neighbourhood).

    ``path`` is the materialised path of codes from the root (``/PT/PT-11/PT-1106/``), so that
    "everything in district X" is a single indexed prefix query (``area__path__startswith``).
    """

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=64, help_text="Level name from areas.csv, e.g. 'district'.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # db_index on a CharField also creates a varchar_pattern_ops index on PostgreSQL for LIKE 'x%'.
    path = models.CharField(max_length=1024, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ("path",)
        indexes = (models.Index(fields=["level"], name="registry_area_level_idx"),)
        constraints = (
            models.CheckConstraint(
                condition=~Q(code__contains=AREA_PATH_SEPARATOR), name="registry_area_code_no_separator"
            ),
        )

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.level})"

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to the parent of this area (empty for a country)."""
        return [c for c in self.path.split(AREA_PATH_SEPARATOR) if c][:-1]

    def ancestors(self) -> models.QuerySet[Area]:
        """Areas above this one, root first: one query on the unique code index."""
        return Area.objects.filter(code__in=self.ancestor_codes).order_by("depth")

    def descendants(self, *, include_self: bool = False) -> models.QuerySet[Area]:
        """Areas below this one at any depth: one prefix query on the path index."""
        qs = Area.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)


class RegistrySource(models.Model):
    """A registry another agency keeps (a tax file, a civil register), as GovReach receives it.

    ``name`` is the handle used on the command line; ``schema`` holds the column mapping applied on
    import, and ``key_column`` the source's own unique key for a row.
    """

    name = models.SlugField(max_length=100, unique=True)
    agency = models.CharField(max_length=200)
    dataset = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    extracted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the agency extracted the data."
    )
    licence = models.CharField(max_length=200, blank=True)
    schema = models.JSONField(default=dict, blank=True)
    key_column = models.CharField(max_length=200)
    creates_persons = models.BooleanField(
        default=False, help_text="Each new record of this source becomes a person (a population register)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"


class Household(models.Model):
    """A household as registries describe it; ``reference`` is stable across imports."""

    reference = models.CharField(max_length=200, unique=True)
    address = models.CharField(max_length=500, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="households")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Household {self.pk}"


class Person(models.Model):
    """A person as GovReach knows them after linkage; the facts' provenance is in ``records``.

    ``national_id`` is unique where present (many countries have none for everyone).
    ``__str__`` shows no personal data, so logs and admin breadcrumbs never leak it.
    """

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "X", "Other / unspecified"

    # NULL, not "", for "no id": the unique constraint must ignore persons without one.
    national_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    address = models.CharField(max_length=500, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="persons")
    phone = models.CharField(max_length=32, blank=True, help_text="E.164, e.g. +351...")
    preferred_language = models.CharField(max_length=16, blank=True)
    has_disability = models.BooleanField(null=True, blank=True)
    is_literate = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["national_id"],
                condition=Q(national_id__isnull=False),
                name="registry_person_national_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(sex__in=["", "F", "M", "X"]), name="registry_person_sex_valid"
            ),
        )
        indexes = (
            models.Index(fields=["family_name", "birth_date"], name="registry_person_name_dob_idx"),
            models.Index(fields=["birth_date"], name="registry_person_dob_idx"),
        )

    def __str__(self) -> str:
        return f"Person {self.pk}"


class Membership(models.Model):
    """A person's membership of a household, with a role and the dates it held."""

    class Role(models.TextChoices):
        HEAD = "head", "Head"
        SPOUSE = "spouse", "Spouse"
        CHILD = "child", "Child"
        OTHER = "other", "Other"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )  # served by the (household, role) index
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.OTHER)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        constraints = (
            # One open membership per person and household; closed ones are history.
            models.UniqueConstraint(
                fields=["person", "household"],
                condition=Q(valid_to__isnull=True),
                name="registry_membership_one_open",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="registry_membership_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["head", "spouse", "child", "other"]),
                name="registry_membership_role_valid",
            ),
        )
        indexes = (models.Index(fields=["household", "role"], name="registry_member_hh_role_idx"),)

    def __str__(self) -> str:
        return f"Membership {self.pk} ({self.role})"


class ImportRun(models.Model):
    """One import of one file into one source, with its counts; an unfinished run can be resumed.

    ``rows_done`` advances in the same transaction as each batch, so a restart continues after the
    last committed batch and ends with the same counts as an uninterrupted run.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    # Indexed by the (source, file_digest, status) index below; no separate FK index.
    source = models.ForeignKey(
        RegistrySource, on_delete=models.PROTECT, related_name="import_runs", db_index=False
    )
    file_name = models.CharField(max_length=500)
    file_digest = models.CharField(max_length=64, help_text="SHA-256 of the imported file.")
    mapping_digest = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)
    rows_done = models.PositiveBigIntegerField(default=0)
    read_count = models.PositiveBigIntegerField(default=0)
    inserted_count = models.PositiveBigIntegerField(default=0)
    updated_count = models.PositiveBigIntegerField(default=0)
    unchanged_count = models.PositiveBigIntegerField(default=0)
    quarantined_count = models.PositiveBigIntegerField(default=0)
    error_report = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-started_at",)
        indexes = (models.Index(fields=["source", "file_digest", "status"], name="registry_run_resume_idx"),)

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.source.name} ({self.status})"


class QuarantinedRow(models.Model):
    """A row an import refused, with the row number, the field and the reason, kept for correction."""

    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="quarantined_rows", db_index=False
    )
    row_number = models.PositiveBigIntegerField(help_text="1-based data row (the header is not counted).")
    field = models.CharField(max_length=200)
    reason = models.CharField(max_length=500)
    raw = models.JSONField(default=dict)

    class Meta:
        ordering = ("run", "row_number")
        indexes = (models.Index(fields=["run", "row_number"], name="registry_quar_row_idx"),)

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.field}"


class SourceRecord(models.Model):
    """One row of one registry source: what that source said, and when it was first and last seen.

    ``data`` holds the mapped, validated values keyed by GovReach field names (the standard person
    columns of docs/registries.md and any other mapped facts); ``digest`` lets re-imports skip rows
    that did not change.
    """

    # The (source, source_key) unique index serves lookups by source; no separate FK index.
    source = models.ForeignKey(
        RegistrySource, on_delete=models.PROTECT, related_name="records", db_index=False
    )
    source_key = models.CharField(max_length=200)
    data = models.JSONField(default=dict)
    digest = models.CharField(max_length=64)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    first_seen_at = models.DateTimeField(help_text="Extraction time of the first extract holding this row.")
    last_seen_at = models.DateTimeField(help_text="Extraction time of the latest extract holding this row.")
    created_by_run = models.ForeignKey(ImportRun, on_delete=models.PROTECT, related_name="+")
    updated_by_run = models.ForeignKey(ImportRun, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["source", "source_key"], name="registry_sourcerecord_key_unique"),
        )

    def __str__(self) -> str:
        return f"Record {self.source_key} of source {self.source_id}"


class RecordLink(models.Model):
    """A claim that two source records (or a record and a person) are the same person.

    Links above the upper threshold are accepted, those between the thresholds wait in the clerical
    review queue (``status='review'``), those below are rejected; a clerk's decision records who and when.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REVIEW = "review", "In review"
        REJECTED = "rejected", "Rejected"

    class Method(models.TextChoices):
        DETERMINISTIC = "deterministic", "Deterministic (shared id)"
        PROBABILISTIC = "probabilistic", "Probabilistic"
        CLERICAL = "clerical", "Clerical"

    left_record = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="links_as_left")
    right_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="links_as_right"
    )
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="links")
    match_probability = models.FloatField()
    match_weight = models.FloatField(null=True, blank=True)
    method = models.CharField(max_length=32, choices=Method.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    evidence = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = (("review_link", "Can decide record links in the clerical review queue"),)
        constraints = (
            models.CheckConstraint(
                condition=(Q(right_record__isnull=False) & Q(person__isnull=True))
                | (Q(right_record__isnull=True) & Q(person__isnull=False)),
                name="registry_link_one_target",
            ),
            models.CheckConstraint(
                condition=Q(match_probability__gte=0) & Q(match_probability__lte=1),
                name="registry_link_probability_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["accepted", "review", "rejected"]), name="registry_link_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(left_record=models.F("right_record")), name="registry_link_not_self"
            ),
            models.UniqueConstraint(
                fields=["left_record", "right_record"],
                condition=Q(right_record__isnull=False),
                name="registry_link_record_pair_unique",
            ),
            models.UniqueConstraint(
                fields=["left_record", "person"],
                condition=Q(person__isnull=False),
                name="registry_link_record_person_unique",
            ),
        )
        indexes = (
            # The review queue: newest-most-likely first, only the rows still waiting.
            models.Index(
                fields=["-match_probability"],
                condition=Q(status="review"),
                name="registry_link_review_idx",
            ),
            models.Index(fields=["status"], name="registry_link_status_idx"),
        )

    def __str__(self) -> str:
        return f"Link {self.pk} ({self.status}, p={self.match_probability:.3f})"
