"""Who holds points in a program: a customer profile (profile-based programs) or a loyalty card
(card-based ones). The API's ledger routes and the admin's points page find owners here."""

from dataclasses import dataclass

from django.db.models import QuerySet

from customers.models import CustomerProfile

from .models import LoyaltyCard, LoyaltyProgram


@dataclass(frozen=True)
class Owner:
    # the keyword the ledger services and selectors take (`profile=` / `card=`)
    name: str
    program_kind: str
    model: type
    # the field partners name an owner by
    key_field: str

    def rows(self, program: LoyaltyProgram) -> QuerySet:
        """The owners a program can have: its organization's profiles, or its own cards."""
        if self.program_kind == LoyaltyProgram.Kind.CARD:
            return LoyaltyCard.objects.filter(program=program)
        return CustomerProfile.objects.filter(organization_id=program.organization_id)


PROFILE = Owner("profile", LoyaltyProgram.Kind.PROFILE, CustomerProfile, "integration_id")
CARD = Owner("card", LoyaltyProgram.Kind.CARD, LoyaltyCard, "identifier")


def owner_of(program: LoyaltyProgram) -> Owner:
    """The kind of owner the program's ledger has."""
    return CARD if program.kind == LoyaltyProgram.Kind.CARD else PROFILE
