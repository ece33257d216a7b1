from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waystation.accounts.models import User
from waystation.accounts.policy import Perm, permissions_of, system_actor
from waystation.api.selectors import tokens_visible
from waystation.api.services import TokenError, token_create, token_revoke

# The operator at the server's command line, making and revoking members' tokens as a
# coordinator would on their behalf.
ACTOR = system_actor("token", Perm.SIGNED_IN, Perm.USERS_MANAGE)


class Command(BaseCommand):
    help = (
        "Personal access tokens for the API: `token create --user NAME --name LABEL "
        "[--scope PERM …] [--expires DAYS]` prints the token once; `token list`, `token revoke ID`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="make a token and print it, once")
        create.add_argument("--user", required=True, help="the member's username")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument(
            "--scope", action="append", default=[],
            help="a permission of the member (repeat it); all of the member's when left out",
        )
        create.add_argument("--expires", type=int, default=settings.API_TOKEN_DAYS,
                            help="days until it expires (1 to 365)")
        listing = actions.add_parser("list", help="list tokens (never the tokens themselves)")
        listing.add_argument("--user", help="only this member's")
        revoke = actions.add_parser("revoke", help="revoke a token by its number")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _member(self, username):
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"no member named {username!r}")
        return user

    def _create(self, *, user, name, scope, expires, **options):
        member = self._member(user)
        scopes = scope or [p.value for p in permissions_of(member)]
        try:
            token, raw = token_create(
                actor=ACTOR, user=member, name=name, scopes=scopes, days=expires
            )
        except TokenError as refused:
            raise CommandError(f"{refused} Nothing was created.") from None
        self.stdout.write(raw)
        self.stderr.write(
            f"Token {token.pk} for {member.username}, scopes {', '.join(token.scopes)}, "
            f"expires {token.expires_at:%Y-%m-%d}. It is shown only this once."
        )

    def _list(self, *, user=None, **options):
        tokens = tokens_visible(ACTOR)
        if user:
            tokens = tokens.filter(user=self._member(user))
        for token in tokens:
            state = (
                "revoked" if token.revoked_at else "active" if token.is_active else "expired"
            )
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.pk}\t{token.user.username}\t{token.name}\twst_{token.hint}…\t{state}\t"
                f"expires {token.expires_at:%Y-%m-%d}\tlast used {used}\t{','.join(token.scopes)}"
            )

    def _revoke(self, *, id, **options):
        token = tokens_visible(ACTOR).filter(pk=id).first()
        if token is None:
            raise CommandError(f"no token {id}")
        token_revoke(actor=ACTOR, token=token)
        self.stdout.write(f"Token {id} ({token.name}) of {token.user.username} is revoked.")
