"""`vigie token create --user USERNAME [--scope read|write]`: print a new API token (last line)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from vigie.api.models import ApiToken, Scope
from vigie.api.tokens import create_token, revoke_token


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        create = sub.add_parser("create", help="Create a token and print it as the last line.")
        create.add_argument("--user", required=True, help="Username of the token's owner.")
        create.add_argument("--scope", choices=Scope.values, default=Scope.READ)
        create.add_argument("--name", default="command line")
        create.add_argument("--days", type=int, default=None, help="Expire after this many days.")
        listing = sub.add_parser("list", help="List a user's tokens.")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a token by its id.")
        revoke.add_argument("--user", required=True)
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['user']!r}")
        action = options["action"]
        if action == "create":
            days = options["days"]
            if days is not None and days < 1:
                raise CommandError("--days must be at least 1")
            token, secret = create_token(
                user=user,
                name=options["name"],
                scope=options["scope"],
                expires_at=timezone.now() + timedelta(days=days) if days else None,
                via="cli",
            )
            self.stderr.write(
                f"Token {token.prefix}… ({token.scope}) created for {user.get_username()}. "
                "It is shown once:"
            )
            self.stdout.write(secret)
        elif action == "list":
            for token in ApiToken.objects.filter(user=user):
                state = (
                    "active" if token.is_active else ("revoked" if token.revoked_at else "expired")
                )
                used = token.last_used_at.isoformat() if token.last_used_at else "never"
                self.stdout.write(
                    "\t".join(
                        [str(token.pk), f"{token.prefix}…", token.scope, state, used, token.name]
                    )
                )
        else:
            target = ApiToken.objects.filter(user=user, pk=options["id"]).first()
            if target is None:
                raise CommandError(f"no token {options['id']} for {user.get_username()}")
            revoke_token(token=target, actor=user)
            self.stdout.write(f"revoked {target.prefix}…")
