from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from organizations.models import Organization
from organizations.services import create_api_key


class Command(BaseCommand):
    help = (
        "Create an API key and print its secret (shown only once). Name several organizations "
        "(--org a --org b) for a portfolio key: it belongs to the first and acts for them all."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--org",
            required=True,
            action="append",
            dest="orgs",
            help="Organization slug; repeat it for a portfolio key",
        )
        parser.add_argument("--name", required=True, help="What the key is for")
        parser.add_argument("--scopes", default="read", help="read, write or read,write")

    def handle(self, *args, orgs, name, scopes, **options):
        slugs = list(dict.fromkeys(orgs))
        found = {org.slug: org for org in Organization.objects.filter(slug__in=slugs)}
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            raise CommandError(f"No organization with slug {', '.join(map(repr, missing))}.")
        home, *others = (found[slug] for slug in slugs)
        try:
            api_key, secret = create_api_key(
                organization=home, name=name, scopes=scopes, portfolio=others
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        names = ", ".join(org.name for org in (home, *others))
        kind = "portfolio API key" if others else "API key"
        self.stderr.write(
            f"Created {kind} {api_key.prefix}… ({', '.join(api_key.scopes)}) for {names}. "
            "Store the secret now; it is not shown again:"
        )
        self.stdout.write(secret)
