"""A backup problem reaches the establishment's people through a real SMTP server, each in
their own language, naming the system and the problem, with the link to the set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.backups.support import make_set
from tests.helpers import MailBox, mail_text
from vigie.backups.actions import check_all, set_url
from vigie.backups.models import BackupSet, IntegrityCheck, RestoreTest, Snapshot
from vigie.notify import outbox
from vigie.notify.models import Delivery, DeliveryState
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Role


def _stale_only(org: Organisation) -> BackupSet:
    """A set whose one problem is its last backup, 30 hours old with an RPO of 24 hours."""
    now = timezone.now()
    backup_set = make_set(org, system="Dossier patient informatisé")
    Snapshot.objects.create(
        backup_set=backup_set,
        tool_id="5f3c9a21",
        taken_at=now - timedelta(hours=30),
        source="sensor",
        ingested_at=now - timedelta(hours=30),
    )
    IntegrityCheck.objects.create(
        backup_set=backup_set, at=now - timedelta(hours=1), ok=True, exit_code=0, source="api"
    )
    RestoreTest.objects.create(
        backup_set=backup_set,
        tested_on=timezone.localdate() - timedelta(days=10),
        duration_minutes=60,
        result="success",
        restored="Base de données du DPI",
        performed_by="Équipe système",
        recorded_at=now - timedelta(days=10),
    )
    return backup_set


def test_a_stale_set_is_mailed_to_each_person_in_their_language(
    smtp_server: MailBox, est_a: Organisation, make_user: Callable[..., Any]
) -> None:
    make_user("a.rssi", est_a, Role.SECURITY_OFFICER, language="fr")
    make_user("a.boss", est_a, Role.ADMIN, language="en")
    backup_set = _stale_only(est_a)
    run = check_all()
    assert run.notified == 1
    outbox.deliver_due()
    messages = smtp_server.wait_for(2)
    by_recipient = {m["To"]: m for m in messages}
    assert set(by_recipient) == {"a.rssi@example.org", "a.boss@example.org"}
    link = set_url(backup_set)

    french = by_recipient["a.rssi@example.org"]
    subjects = dict(Delivery.objects.values_list("recipient", "subject"))
    assert (
        subjects["a.rssi@example.org"]
        == "[Vigie Santé] Problème de sauvegarde : Dossier patient informatisé"
    )
    # The header as received (folded on the wire: the parser keeps a leading space).
    assert str(french["Subject"]).strip() == subjects["a.rssi@example.org"]
    text = mail_text(french)
    assert "Un problème a été détecté sur les sauvegardes de Dossier patient informatisé" in text
    assert "CHU Alpha" in text
    assert "Dernière sauvegarde réussie il y a" in text
    assert "RPO de 24 heures" in text
    assert link in text
    assert "Last successful backup" not in text

    english = by_recipient["a.boss@example.org"]
    assert (
        subjects["a.boss@example.org"]
        == "[Vigie Santé] Backup problem: Dossier patient informatisé"
    )
    assert str(english["Subject"]).strip() == subjects["a.boss@example.org"]
    text = mail_text(english)
    assert "A problem was found with the backups of Dossier patient informatisé" in text
    assert "Last successful backup" in text
    assert "beyond the RPO of 24 hours" in text
    assert "Open the backup set" in text
    assert link in text
    assert f"/o/{est_a.slug}/backups/{backup_set.pk}/" in link

    assert french["X-Vigie-Event"] == english["X-Vigie-Event"] == "backup.problem"
    sent = Delivery.objects.filter(event="backup.problem", state=DeliveryState.SENT)
    assert sent.count() == 2


def test_a_second_check_sends_no_second_mail(
    smtp_server: MailBox, est_a: Organisation, make_user: Callable[..., Any]
) -> None:
    make_user("a.rssi", est_a, Role.SECURITY_OFFICER, language="en")
    _stale_only(est_a)
    assert check_all().notified == 1
    assert check_all().notified == 0
    outbox.deliver_due()
    outbox.deliver_due()
    messages = smtp_server.wait_for(1)
    assert len(messages) == 1
    assert Delivery.objects.filter(event="backup.problem").count() == 1
