"""Every new establishment starts with an e-mail channel, so its first alert reaches someone."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from vigie.notify.models import Channel, ChannelKind
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import OrgKind


@receiver(post_save, sender=Organisation, dispatch_uid="vigie.vulns.default_channel")
def give_new_establishment_an_email_channel(
    sender: type[Organisation], instance: Organisation, created: bool, **kwargs: Any
) -> None:
    if created and instance.kind == OrgKind.ESTABLISHMENT and not kwargs.get("raw"):
        Channel.objects.get_or_create(
            organisation=instance,
            kind=ChannelKind.EMAIL,
            defaults={"name": "Équipe sécurité / Security team"},
        )
