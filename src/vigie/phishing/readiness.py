"""The "phishing" pillar of readiness: the last finished simulation of the past twelve months,
as it stood at `now`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from vigie.engines.readiness import Reason
from vigie.phishing.results import campaign_results, finished_campaigns
from vigie.readiness.pillars import PillarSpec, register_pillar
from vigie.tenancy.models import Organisation

WINDOW = timedelta(days=365)


def _percent(value: float | None) -> int:
    return round((value or 0.0) * 100)


def phishing_reasons(organisation: Organisation, now: datetime) -> list[Reason]:
    last = (
        finished_campaigns(organisation, now)
        .filter(finished_at__gte=now - WINDOW, created_at__lte=now)
        .first()
    )
    if last is None:
        return [Reason("phishing.none", {}, 100)]
    counts = campaign_results(last, now).total
    reasons = [
        Reason(
            "phishing.last",
            {"name": last.name, "date": last.finished_at, "sent": counts.sent},
            0,
        )
    ]
    clicked, submitted, reported = (
        _percent(counts.clicked_rate),
        _percent(counts.submitted_rate),
        _percent(counts.reported_rate),
    )
    if clicked >= 10:
        reasons.append(Reason("phishing.clicks", {"rate": clicked}, 30 if clicked >= 20 else 15))
    if submitted > 0:
        points = 30 if submitted >= 10 else 15 if submitted >= 5 else 5
        reasons.append(Reason("phishing.submits", {"rate": submitted}, points))
    if reported >= 30:
        reasons.append(Reason("phishing.reports_high", {"rate": reported}, 0))
    elif reported < 10:
        reasons.append(Reason("phishing.reports_low", {"rate": reported}, 10))
    if counts.repeat_clickers:
        reasons.append(
            Reason(
                "phishing.repeat_clickers",
                {"count": counts.repeat_clickers},
                min(20, 5 * counts.repeat_clickers),
            )
        )
    return reasons


register_pillar(
    PillarSpec(
        code="phishing",
        label=_("Phishing simulations"),
        order=60,
        provider=phishing_reasons,
        reason_texts={
            "phishing.none": _("No phishing simulation finished in the last twelve months."),
            "phishing.last": _(
                "Last simulation: %(name)s, finished %(date)s, %(sent)s messages sent."
            ),
            "phishing.clicks": _("%(rate)s%% of the recipients followed the link."),
            "phishing.submits": _("%(rate)s%% of the recipients typed credentials."),
            "phishing.reports_high": _("%(rate)s%% of the recipients reported the message."),
            "phishing.reports_low": _("Only %(rate)s%% of the recipients reported the message."),
            "phishing.repeat_clickers": _(
                "People who followed the link in two simulations or more: %(count)s."
            ),
        },
        url_name="phishing:index",
    )
)
