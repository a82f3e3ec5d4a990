"""Programme enrolment: a year's cohort with capped places, its hubs, class groups and Saturday sessions,
the students registered with their eligibility and priority, the allocation of places (with a waiting
list), attendance, mock-exam scores and final outcomes.

What a programme is (roles, hubs, calendar, allocation rule, alerts, exams) comes from the pack's
``programme.yaml``; nothing here knows any one programme. ``__str__`` never shows a name or a phone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from govreach.registry.models import Area, Person


class Cohort(models.Model):
    """One year's intake of a programme pack: its places, and the published seed of its lottery."""

    class Status(models.TextChoices):
        OPEN = "open", "Registration open"
        ALLOCATED = "allocated", "Places allocated"
        CLOSED = "closed", "Closed"

    pack_id = models.CharField(max_length=100)
    year = models.PositiveSmallIntegerField()
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="cohorts", help_text="Where the programme runs."
    )
    places = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    lottery_seed = models.CharField(
        max_length=200, blank=True, help_text="Published with the allocation, so anyone can re-run it."
    )
    lottery_procedure = models.CharField(max_length=64, blank=True)
    allocated_at = models.DateTimeField(null=True, blank=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("pack_id", "-year")
        constraints = (
            models.UniqueConstraint(fields=["pack_id", "year"], name="programmes_cohort_one_per_year"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "allocated", "closed"]), name="programmes_cohort_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(lottery_seed=""), name="programmes_cohort_allocated_has_seed"
            ),
        )

    def __str__(self) -> str:
        return f"{self.pack_id} {self.year}"

    @property
    def is_allocated(self) -> bool:
        return self.status != self.Status.OPEN


class Hub(models.Model):
    """A learning hub of a cohort (from the pack), with how many students it can take."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="hubs")
    code = models.CharField(max_length=32, help_text="The hub id in programme.yaml.")
    titles: models.JSONField[dict[str, str]] = models.JSONField(default=dict)
    capacity = models.PositiveIntegerField()

    class Meta:
        ordering = ("cohort_id", "code")
        constraints = (models.UniqueConstraint(fields=["cohort", "code"], name="programmes_hub_code_unique"),)

    def __str__(self) -> str:
        return f"{self.code} of cohort {self.cohort_id}"


class ClassGroup(models.Model):
    """A class of at most the pack's class size, at one hub, taught by one teacher."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="class_groups")
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="class_groups")
    name = models.CharField(max_length=64)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("cohort_id", "name")
        constraints = (
            models.UniqueConstraint(fields=["cohort", "name"], name="programmes_class_name_unique"),
        )

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """One meeting of a class group on one day (a Saturday morning, for br-prepara)."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    class_group = models.ForeignKey(ClassGroup, on_delete=models.CASCADE, related_name="sessions")
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="sessions")
    held_on = models.DateField()
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ("held_on", "class_group_id")
        constraints = (
            models.UniqueConstraint(fields=["class_group", "held_on"], name="programmes_session_one_a_day"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="programmes_session_ends_after_start"
            ),
        )

    def __str__(self) -> str:
        return f"Session {self.pk} on {self.held_on.isoformat()}"


class Registration(models.Model):
    """A student registered for a cohort, by their school or by themselves (with their guardian).

    ``key`` is the student's public, anonymous code: the lottery hashes it with the seed, and the public
    allocation list shows only keys. ``facts`` are the rules' input facts as given; ``decision`` is the
    rules' result (with the full trace for a single registration, the criteria outcomes for a batch).
    """

    class Channel(models.TextChoices):
        SCHOOL = "school", "Registered by the school"
        SELF = "self", "Registered by the student or guardian"

    # Fields that hold personal data: kept out of __str__, logs and URLs.
    PERSONAL_DATA_FIELDS = ("guardian_phone", "facts", "decision")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="registrations")
    student = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="programme_registrations")
    key = models.CharField(max_length=16, help_text="Public anonymous code, e.g. K7M2-QX4P.")
    guardian_phone = models.CharField(max_length=32, blank=True, help_text="E.164; personal data.")
    school_code = models.CharField(max_length=32, blank=True)
    school_name = models.CharField(max_length=200, blank=True)
    hub_code = models.CharField(max_length=32, blank=True, help_text="The hub of the student's school.")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(max_length=16, blank=True)
    facts: models.JSONField[dict[str, object]] = models.JSONField(default=dict)
    is_eligible = models.BooleanField(null=True, help_text="The pack's eligibility decision (None: unknown).")
    priority_score = models.FloatField(default=0)
    decision: models.JSONField[dict[str, object]] = models.JSONField(default=dict)
    decided_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("cohort_id", "pk")
        constraints = (
            models.UniqueConstraint(fields=["cohort", "student"], name="programmes_registration_once"),
            models.UniqueConstraint(fields=["cohort", "key"], name="programmes_registration_key_unique"),
            models.CheckConstraint(
                condition=Q(channel__in=["school", "self"]), name="programmes_registration_channel_valid"
            ),
        )

    def __str__(self) -> str:
        return f"Registration {self.key}"


class Allocation(models.Model):
    """The place a registration got: allocated (with hub and class), waiting (with rank), or given up.

    ``position`` is the registration's place in the published order (priority, then lottery), 1-based;
    ``lottery_number`` is the SHA-256 hex anyone can recompute from the seed and the key.
    """

    class Status(models.TextChoices):
        ALLOCATED = "allocated", "Allocated"
        WAITING = "waiting", "Waiting list"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="allocation")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="allocations")
    status = models.CharField(max_length=16, choices=Status.choices)
    position = models.PositiveIntegerField()
    lottery_number = models.CharField(max_length=64)
    waiting_rank = models.PositiveIntegerField(null=True, blank=True)
    hub = models.ForeignKey(Hub, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    class_group = models.ForeignKey(
        ClassGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    was_moved_up = models.BooleanField(default=False, help_text="Got a place freed by someone else.")
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("cohort_id", "position")
        constraints = (
            models.UniqueConstraint(
                fields=["cohort", "position"], name="programmes_allocation_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["allocated", "waiting", "declined", "withdrawn"]),
                name="programmes_allocation_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="allocated") | (Q(hub__isnull=False) & Q(class_group__isnull=False)),
                name="programmes_allocation_allocated_has_class",
            ),
            models.CheckConstraint(
                condition=Q(status="waiting", waiting_rank__isnull=False)
                | (~Q(status="waiting") & Q(waiting_rank__isnull=True)),
                name="programmes_allocation_rank_iff_waiting",
            ),
        )

    def __str__(self) -> str:
        return f"Allocation {self.pk} ({self.status})"


class Attendance(models.Model):
    """Whether a student was at a session, as the teacher recorded it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="attendances")
    is_present = models.BooleanField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["session", "registration"], name="programmes_attendance_once"),
        )

    def __str__(self) -> str:
        return f"Attendance {self.pk} ({'present' if self.is_present else 'absent'})"


class AbsenceAlert(models.Model):
    """The guardian was told of repeated absences; one per run of absences (``streak_start``)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="absence_alerts")
    streak_start = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    absences = models.PositiveIntegerField(help_text="Absences in total when the alert went out.")
    consecutive = models.PositiveIntegerField(help_text="Absences in a row when the alert went out.")
    outbox_message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["registration", "streak_start"], name="programmes_alert_once_per_streak"
            ),
        )

    def __str__(self) -> str:
        return f"Absence alert {self.pk}"


class MockExam(models.Model):
    """A mock exam of a cohort (declared in the pack) and its highest score."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="mock_exams")
    exam_id = models.CharField(max_length=64)
    titles: models.JSONField[dict[str, str]] = models.JSONField(default=dict)
    max_score = models.PositiveIntegerField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("cohort_id", "order")
        constraints = (
            models.UniqueConstraint(fields=["cohort", "exam_id"], name="programmes_mock_exam_unique"),
        )

    def __str__(self) -> str:
        return f"{self.exam_id} of cohort {self.cohort_id}"


class Score(models.Model):
    """A student's score in one mock exam."""

    mock_exam = models.ForeignKey(MockExam, on_delete=models.CASCADE, related_name="scores")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="scores")
    points = models.DecimalField(max_digits=7, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["mock_exam", "registration"], name="programmes_score_once"),
            models.CheckConstraint(condition=Q(points__gte=0), name="programmes_score_not_negative"),
        )

    def __str__(self) -> str:
        return f"Score {self.pk}"


class Outcome(models.Model):
    """Whether an enrolled student sat the entrance exams, passed, and where the pass takes them."""

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="outcome")
    has_sat_exam = models.BooleanField()
    has_passed = models.BooleanField()
    institution = models.CharField(
        max_length=64, blank=True, help_text="An institution id of programme.yaml."
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.CheckConstraint(
                condition=Q(has_passed=False) | Q(has_sat_exam=True),
                name="programmes_outcome_pass_needs_sitting",
            ),
        )

    def __str__(self) -> str:
        return f"Outcome {self.pk}"
