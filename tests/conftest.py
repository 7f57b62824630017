"""Shared fixtures: organisations, people in every role, signed-in clients, a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email import message_from_bytes
from email import policy as email_policy
from typing import Any

import pytest
from django.test import Client

from tests.helpers import PASSWORD, MailBox, _free_port, signed_in
from vigie.tenancy.models import Membership, Nis2Class, Organisation, Region, StructureType
from vigie.tenancy.roles import OrgKind, Role

# Feed and inventory fixtures of the early-warning tests, shared with the browser tests.
pytest_plugins = ["tests.vulns.support"]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: database ids repeat from one test to the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language, whatever an earlier one activated."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def centre(db: Any) -> Organisation:
    return Organisation.objects.create(
        kind=OrgKind.CENTRE, name="Centre régional", slug="centre", region=Region.IDF
    )


@pytest.fixture
def est_a(centre: Organisation) -> Organisation:
    return Organisation.objects.create(
        kind=OrgKind.ESTABLISHMENT,
        name="CHU Alpha",
        slug="chu-alpha",
        finess="750000010",
        structure_type=StructureType.CHU,
        region=Region.IDF,
        ght="GHT Alpha",
        nis2_class=Nis2Class.ESSENTIAL,
        ose=True,
        centre=centre,
    )


@pytest.fixture
def est_b(centre: Organisation) -> Organisation:
    return Organisation.objects.create(
        kind=OrgKind.ESTABLISHMENT,
        name="Clinique Beta",
        slug="clinique-beta",
        finess="690000020",
        structure_type=StructureType.CLINIC,
        region=Region.ARA,
        nis2_class=Nis2Class.IMPORTANT,
        centre=centre,
    )


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from django.contrib.auth import get_user_model

    def make(
        username: str, org: Organisation | None = None, role: str = Role.VIEWER, **extra: Any
    ) -> Any:
        user = get_user_model().objects.create_user(
            username=username, email=f"{username}@example.org", password=PASSWORD, **extra
        )
        if org is not None:
            Membership.objects.create(user=user, organisation=org, role=role)
        return user

    return make


@pytest.fixture
def a_admin(make_user: Callable[..., Any], est_a: Organisation) -> Any:
    return make_user("a.admin", est_a, Role.ADMIN, first_name="Alice", last_name="Admin")


@pytest.fixture
def a_viewer(make_user: Callable[..., Any], est_a: Organisation) -> Any:
    return make_user("a.viewer", est_a, Role.VIEWER)


@pytest.fixture
def a_engineer(make_user: Callable[..., Any], est_a: Organisation) -> Any:
    return make_user("a.biomed", est_a, Role.BIOMEDICAL_ENGINEER)


@pytest.fixture
def b_admin(make_user: Callable[..., Any], est_b: Organisation) -> Any:
    return make_user("b.admin", est_b, Role.ADMIN)


@pytest.fixture
def centre_admin(make_user: Callable[..., Any], centre: Organisation) -> Any:
    return make_user("centre.admin", centre, Role.ADMIN)


@pytest.fixture
def centre_analyst(make_user: Callable[..., Any], centre: Organisation) -> Any:
    return make_user("centre.analyst", centre, Role.ANALYST)


@pytest.fixture
def client_for() -> Callable[..., Client]:
    return signed_in


# --- A real SMTP server ------------------------------------------------------------------------


@pytest.fixture
def smtp_server(settings: Any, transactional_db: Any) -> Iterator[MailBox]:
    """aiosmtpd listening on 127.0.0.1; Django's SMTP backend pointed at it.

    Transactional: mail goes out when the transaction commits, as in production.
    """
    from aiosmtpd.controller import Controller

    box = MailBox(host="127.0.0.1", port=_free_port())

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            message = message_from_bytes(envelope.content, policy=email_policy.default)
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            box.messages.append(message)
            return "250 Message accepted"

    controller = Controller(Handler(), hostname=box.host, port=box.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = box.host
    settings.EMAIL_PORT = box.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield box
    finally:
        controller.stop()
