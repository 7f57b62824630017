"""Organisations (the support centre and health establishments), memberships and invitations."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigie.tenancy.roles import OrgKind, Role, capabilities

FINESS_PATTERN = re.compile(r"^(?:\d{2}|2[AB])\d{7}$")


def validate_finess(value: str) -> None:
    """FINESS numbers are 9 characters: the département (01-95, 2A, 2B, 97x/98x) then 7 digits."""
    if not FINESS_PATTERN.match(value):
        raise ValidationError(
            _("A FINESS number has 9 characters: 9 digits, or 2A/2B followed by 7 digits."),
            code="finess",
        )


class StructureType(models.TextChoices):
    CHU = "chu", _("University hospital (CHU)")
    CH = "ch", _("General hospital (CH)")
    CLINIC = "clinic", _("Private clinic")
    ESPIC = "espic", _("Private non-profit hospital (ESPIC)")
    PSYCHIATRY = "psychiatry", _("Psychiatric hospital")
    CANCER_CENTRE = "cancer_centre", _("Cancer centre (CLCC)")
    EHPAD = "ehpad", _("Nursing home (EHPAD)")
    LABORATORY = "laboratory", _("Medical laboratory")
    RADIOLOGY = "radiology", _("Radiology centre")
    HOME_CARE = "home_care", _("Hospital at home (HAD)")
    OTHER = "other", _("Other")


class Region(models.TextChoices):
    ARA = "ara", "Auvergne-Rhône-Alpes"
    BFC = "bfc", "Bourgogne-Franche-Comté"
    BRE = "bre", "Bretagne"
    CVL = "cvl", "Centre-Val de Loire"
    COR = "cor", "Corse"
    GES = "ges", "Grand Est"
    HDF = "hdf", "Hauts-de-France"
    IDF = "idf", "Île-de-France"
    NOR = "nor", "Normandie"
    NAQ = "naq", "Nouvelle-Aquitaine"
    OCC = "occ", "Occitanie"
    PDL = "pdl", "Pays de la Loire"
    PAC = "pac", "Provence-Alpes-Côte d'Azur"
    GUA = "gua", "Guadeloupe"
    GUY = "guy", "Guyane"
    MAR = "mar", "Martinique"
    MAY = "may", "Mayotte"
    REU = "reu", "La Réunion"


class Nis2Class(models.TextChoices):
    ESSENTIAL = "essential", _("Essential entity")
    IMPORTANT = "important", _("Important entity")
    NONE = "none", _("Not in scope")


class Organisation(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    finess = models.CharField(
        _("FINESS number"),
        max_length=9,
        blank=True,
        validators=[validate_finess],
        help_text=_("The establishment's FINESS number (9 characters)."),
    )
    structure_type = models.CharField(
        _("structure type"), max_length=20, choices=StructureType.choices, blank=True
    )
    region = models.CharField(_("region"), max_length=3, choices=Region.choices, blank=True)
    ght = models.CharField(_("GHT (hospital group)"), max_length=200, blank=True)
    nis2_class = models.CharField(
        _("NIS2 class"), max_length=10, choices=Nis2Class.choices, default=Nis2Class.NONE
    )
    ose = models.BooleanField(_("operator of essential services (OSE)"), default=False)
    centre = models.ForeignKey(
        "self",
        verbose_name=_("support centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="establishments",
        limit_choices_to={"kind": OrgKind.CENTRE},
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["finess"],
                condition=~models.Q(finess=""),
                name="organisation_finess_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["centre", "establishment"]),
                name="organisation_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["kind", "region", "structure_type"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_centre(self) -> bool:
        return self.kind == OrgKind.CENTRE


class CareUnit(models.Model):
    """A care unit or service of an establishment (Urgences, Radiologie, Pharmacie…): what
    continuity plans, training assignments and phishing results are organised by."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="care_units"
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="care_unit_unique")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    care_unit = models.ForeignKey(
        CareUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("care unit"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]
        ordering = ["organisation__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities(self.organisation.kind, self.role)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


class Invitation(models.Model):
    """An invitation to join an organisation. Only a hash of the link's token is stored."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"
