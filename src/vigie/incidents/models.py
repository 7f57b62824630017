"""An incident declared by an establishment, and everything the case gathers.

Times are each in their own field (the Observatoire measures detection, containment and
recovery from them). The regulatory clocks are not stored: they are computed from these facts
by `vigie.engines.incidents.clocks` every time they are read, so a corrected awareness time
moves every deadline at once. What is stored is what happened: each report submitted (with
the snapshot sent), and each reminder sent (the durable marker that keeps a re-run of the
reminder job from sending it twice).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigie.intel.models import Tlp


class Category(models.TextChoices):
    # The ANS Observatoire's typology (codes shared with vigie.engines.incidents.playbooks).
    PHISHING = "phishing", _("Phishing or malicious e-mail")
    ACCOUNT_COMPROMISE = "account_compromise", _("Account compromise")
    RANSOMWARE = "ransomware", _("Ransomware")
    MALWARE = "malware", _("Malware")
    EXPLOITED_VULNERABILITY = "exploited_vulnerability", _("Exploited vulnerability")
    DDOS = "ddos", _("Denial of service (DDoS)")
    DEFACEMENT = "defacement", _("Defacement")
    DATA_THEFT = "data_theft", _("Data theft or leak")
    SUPPLIER = "supplier", _("Supplier or hosting incident")
    INFRASTRUCTURE_FAILURE = "infrastructure_failure", _("Infrastructure failure")
    SOFTWARE_FAILURE = "software_failure", _("Software failure")
    HUMAN_ERROR = "human_error", _("Human error")
    OTHER = "other", _("Other")


class Origin(models.TextChoices):
    MALICIOUS = "malicious", _("Malicious")
    NOT_MALICIOUS = "not_malicious", _("Not malicious")
    UNKNOWN = "unknown", _("Not known yet")


class Phase(models.TextChoices):
    DECLARED = "declared", _("Declared")
    TRIAGE = "triage", _("Triage")
    CONTAINMENT = "containment", _("Containment")
    ERADICATION = "eradication", _("Eradication")
    RECOVERY = "recovery", _("Recovery")
    POST_INCIDENT = "post_incident", _("Post-incident")
    CLOSED = "closed", _("Closed")


PHASE_ORDER = [value for value, _label in Phase.choices]


class Severity(models.IntegerChoices):
    CRITICAL = 1, _("1 – critical")
    HIGH = 2, _("2 – high")
    MEDIUM = 3, _("3 – medium")
    LOW = 4, _("4 – low")


class Pap(models.TextChoices):
    # Permissible Actions Protocol: what the recipients may do with the case's information.
    CLEAR = "clear", _("PAP:CLEAR")
    GREEN = "green", _("PAP:GREEN")
    AMBER = "amber", _("PAP:AMBER")
    RED = "red", _("PAP:RED")


class Emergency(models.TextChoices):
    NONE = "none", _("No")
    DIVERSION = "diversion", _("Diversion of emergency patients")
    CLOSURE = "closure", _("Emergency department closed")


class Endangerment(models.TextChoices):
    NONE = "none", _("None")
    POTENTIAL = "potential", _("Potential")
    ACTUAL = "actual", _("Actual")


class Incident(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="incidents"
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=20_000)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    origin = models.CharField(
        _("origin"), max_length=16, choices=Origin.choices, default=Origin.UNKNOWN
    )
    phase = models.CharField(
        _("phase"), max_length=16, choices=Phase.choices, default=Phase.DECLARED
    )
    declared_at = models.DateTimeField(_("declared on the platform"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The times of the incident, each in its own field.
    first_malicious_at = models.DateTimeField(_("first malicious action"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected"), null=True, blank=True)
    aware_at = models.DateTimeField(
        _("aware (start of the regulatory clocks)"), null=True, blank=True
    )
    contained_at = models.DateTimeField(_("contained"), null=True, blank=True)
    recovered_at = models.DateTimeField(_("recovered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    assets = models.ManyToManyField(
        "inventory.Asset", blank=True, related_name="incidents", verbose_name=_("affected assets")
    )
    # Triage by the centre.
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, null=True, blank=True
    )
    major = models.BooleanField(_("major incident"), default=False)
    tlp = models.CharField(_("TLP"), max_length=16, choices=Tlp.choices, default=Tlp.AMBER)
    pap = models.CharField(_("PAP"), max_length=8, choices=Pap.choices, default=Pap.AMBER)
    support_requested = models.BooleanField(_("support requested from the centre"), default=False)
    analysts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="incident_cases"
    )
    # Patient impact (Académie nationale de médecine: document the harm to patients).
    degraded_mode = models.BooleanField(_("degraded mode"), default=False)
    degraded_from = models.DateTimeField(_("degraded mode from"), null=True, blank=True)
    degraded_until = models.DateTimeField(_("degraded mode until"), null=True, blank=True)
    degraded_units = models.CharField(_("care units in degraded mode"), max_length=500, blank=True)
    care_is_interrupted = models.BooleanField(
        _("patient-care information system interrupted"), default=False
    )
    emergency = models.CharField(
        _("emergency department"), max_length=16, choices=Emergency.choices, default="none"
    )
    plan_blanc = models.BooleanField(_("plan blanc activated"), default=False)
    transfers_adult = models.PositiveIntegerField(_("adult patients transferred"), default=0)
    transfers_paediatric = models.PositiveIntegerField(
        _("paediatric patients transferred"), default=0
    )
    transfers_intensive = models.PositiveIntegerField(
        _("intensive-care patients transferred"), default=0
    )
    transfers_neonatal = models.PositiveIntegerField(_("newborns transferred"), default=0)
    deprogrammed_interventions = models.PositiveIntegerField(
        _("interventions deprogrammed"), default=0
    )
    deprogrammed_consultations = models.PositiveIntegerField(
        _("consultations deprogrammed"), default=0
    )
    life_support_affected = models.BooleanField(_("life-support devices affected"), default=False)
    medical_devices_affected = models.BooleanField(
        _("other medical devices affected"), default=False
    )
    delayed_care = models.BooleanField(_("diagnostics or therapies delayed"), default=False)
    endangerment = models.CharField(
        _("patient endangerment"), max_length=16, choices=Endangerment.choices, default="none"
    )
    # Data impact (GDPR Art. 33(3)).
    availability = models.BooleanField(_("availability affected"), default=False)
    integrity = models.BooleanField(_("integrity affected"), default=False)
    confidentiality = models.BooleanField(_("confidentiality affected"), default=False)
    personal_data = models.BooleanField(_("personal data breached"), default=False)
    health_data = models.BooleanField(_("health data involved"), default=False)
    people_categories = models.CharField(
        _("categories of people concerned"), max_length=500, blank=True
    )
    people_count = models.PositiveIntegerField(
        _("approximate number of people"), null=True, blank=True
    )
    records_count = models.PositiveIntegerField(
        _("approximate number of records"), null=True, blank=True
    )
    high_risk_to_people = models.BooleanField(
        _("high risk to the people (communication required)"), default=False
    )
    not_notified_reason = models.TextField(
        _("why the breach is not notified"), blank=True, max_length=5_000
    )
    late_reasons = models.TextField(
        _("reasons for a late notification"), blank=True, max_length=5_000
    )
    # Ransom and leak.
    ransom_demanded = models.BooleanField(_("ransom demanded"), default=False)
    ransom_paid = models.BooleanField(_("ransom paid"), default=False)
    ransom_amount = models.DecimalField(
        _("ransom amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    ransom_currency = models.CharField(_("currency"), max_length=8, blank=True)
    threat_actor = models.CharField(_("threat actor"), max_length=200, blank=True)
    leak_site = models.BooleanField(_("published on a leak site"), default=False)
    # NIS2 Art. 23 facts.
    suspected_malicious = models.BooleanField(_("suspected malicious act"), default=False)
    cross_border = models.BooleanField(_("possible cross-border impact"), default=False)
    intermediate_requested_due = models.DateTimeField(
        _("intermediate report requested for"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-declared_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="incident_number")
        ]
        indexes = [
            models.Index(fields=["organisation", "-declared_at"], name="incident_org_declared"),
            models.Index(fields=["phase", "-declared_at"], name="incident_phase_declared"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"INC-{self.declared_at:%Y}-{self.number:04d}"

    @property
    def transfers(self) -> int:
        return (
            self.transfers_adult
            + self.transfers_paediatric
            + self.transfers_intensive
            + self.transfers_neonatal
        )

    @property
    def is_open(self) -> bool:
        return self.phase != Phase.CLOSED


class Task(models.Model):
    """A step of the case's checklist: from the category's playbook, or added by hand."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    code = models.CharField(max_length=64, blank=True)  # the playbook step; blank when added
    title = models.CharField(_("task"), max_length=200, blank=True)
    phase = models.CharField(max_length=16, choices=Phase.choices)
    position = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title or self.code


class EntryKind(models.TextChoices):
    DECLARED = "declared", _("Declared")
    UPDATED = "updated", _("Declaration updated")
    TRIAGED = "triaged", _("Triaged")
    PHASE = "phase", _("Phase changed")
    NOTE = "note", _("Log entry")
    COMMENT = "comment", _("Comment")
    EVIDENCE = "evidence", _("Evidence added")
    TASK = "task", _("Task done")
    SUBMITTED = "submitted", _("Report submitted")
    REMINDER = "reminder", _("Deadline reminder")
    SHARED = "shared", _("Indicators shared")


class Entry(models.Model):
    """The case's timeline (main courante): events of the platform and entries people write.

    `params` holds codes and values, never sentences: the page renders them in the reader's
    language."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField()  # when it happened (a log entry may be written after)
    recorded_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(blank=True, max_length=10_000)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["incident", "at"], name="incident_entry_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class Evidence(models.Model):
    """A file attached to the case, stored outside the web root under a random name and only
    ever served as a download (never rendered inline, never executed)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_as = models.CharField(max_length=64, unique=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    """A report sent to an authority, with the snapshot that was sent (kept as it was)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="submissions")
    code = models.CharField(max_length=32)  # vigie.engines.incidents.clocks.Code
    channel = models.CharField(_("sent to"), max_length=200)
    reference = models.CharField(_("authority's reference"), max_length=200, blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    language = models.CharField(max_length=8)
    snapshot = models.JSONField()

    class Meta:
        ordering = ["submitted_at", "pk"]
        indexes = [models.Index(fields=["incident", "code"], name="incident_submission_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.submitted_at:%Y-%m-%d %H:%M}"


class Reminder(models.Model):
    """A deadline reminder sent: written in the transaction that queues its notifications, so
    the reminder job can be re-run (or killed) without sending one twice."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reminders")
    code = models.CharField(max_length=32)
    due_at = models.DateTimeField()
    reminder_at = models.DateTimeField()
    sent_at = models.DateTimeField()
    # A reminder whose time passed while a later one of the same report was also due (the
    # workers were stopped, or the awareness time was written late): marked, not sent, so
    # that people get one message saying where things stand, not a burst of stale ones.
    skipped = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "code", "reminder_at"], name="incident_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.reminder_at:%Y-%m-%d %H:%M}"
