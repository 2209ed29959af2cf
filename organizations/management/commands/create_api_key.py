from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from organizations.models import Organization
from organizations.services import create_api_key


class Command(BaseCommand):
    help = "Create an API key for an organization and print its secret (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument("--name", required=True, help="What the key is for")
        parser.add_argument("--scopes", default="read", help="read, write or read,write")

    def handle(self, *args, org, name, scopes, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}.")
        try:
            api_key, secret = create_api_key(organization=organization, name=name, scopes=scopes)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(
            f"Created API key {api_key.prefix}… ({', '.join(api_key.scopes)}) for "
            f"{organization.name}. Store the secret now; it is not shown again:"
        )
        self.stdout.write(secret)
