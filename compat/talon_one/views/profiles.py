"""Customer profiles: upsert one or many, the inventory, and erasure."""

from django.db import transaction
from django.db.models import Count, Sum
from rest_framework import status
from rest_framework.response import Response

from audiences import services as audience_services
from audiences.models import Audience
from campaigns.models import CustomerSession
from customers import services as customer_services
from customers.models import CustomerProfile
from loyalty.models import LoyaltyProgram, Tier
from memberships.selectors import customer_inventory

from .. import requests, shapes
from ..base import TalonView

CLOSED = (CustomerSession.State.CLOSED, CustomerSession.State.PARTIALLY_RETURNED)


def profile_shapes(organization, profiles) -> list[dict]:
    """Talon's CustomerProfile for each of `profiles`, with their sales in one query."""
    sales = {
        row["profile"]: (row["closed"], row["total"])
        for row in CustomerSession.objects.filter(
            profile__in=[p.pk for p in profiles], state__in=CLOSED
        )
        .values("profile")
        .annotate(closed=Count("id"), total=Sum("total"))
    }
    return [
        shapes.profile(p, account=organization.number, sales=sales.get(p.pk, (0, 0)))
        for p in profiles
    ]


def empty_effects() -> dict:
    return {"effects": [], "createdCoupons": [], "createdReferrals": []}


class CustomerProfileView(TalonView):
    """update_customer_profile_v2 → customers.services.upsert_customer_profile (and
    audiences.services.update_customer_audiences for `audiencesChanges`)."""

    batch_key = "audiencesChanges"

    def put(self, request, integration_id):
        dry = self.query_flag("dry")
        self.query_flag("runRuleEngine")  # profile rules run after the write, by a task
        body = requests.ProfileRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            profile, _ = customer_services.upsert_customer_profile(
                organization=self.organization,
                integration_id=integration_id,
                data={"attributes": data["attributes"]} if "attributes" in data else {},
            )
            changes = data.get("audiencesChanges") or {}
            items = [
                (action, number)
                for action, key in (("add", "adds"), ("delete", "deletes"))
                for number in changes.get(key, [])
            ]
            if items:
                audiences = dict(
                    Audience.objects.filter(
                        organization=self.organization, number__in=[n for _, n in items]
                    ).values_list("number", "pk")
                )
                audience_services.update_customer_audiences(
                    organization=self.organization,
                    items=[
                        {
                            "profile_integration_id": integration_id,
                            "audience_id": audiences.get(number),
                            "action": action,
                        }
                        for action, number in items
                    ],
                )
            profile.refresh_from_db()
            answer = {
                "customerProfile": profile_shapes(self.organization, [profile])[0],
                **empty_effects(),
            }
            if dry:
                transaction.set_rollback(True)
        return Response(answer)


class CustomerProfilesView(TalonView):
    """update_customer_profiles_v2 → customers.services.bulk_upsert_customer_profiles."""

    batch_key = "customerProfiles"

    def put(self, request):
        body = requests.ProfilesRequest(data=request.data)
        body.is_valid(raise_exception=True)
        items = [
            {"integration_id": item["integrationId"], **({"attributes": item["attributes"]}
             if "attributes" in item else {})}
            for item in body.validated_data.get("customerProfiles", [])
        ]  # fmt: skip
        results = customer_services.bulk_upsert_customer_profiles(
            organization=self.organization, items=items
        )
        profiles = list(
            CustomerProfile.objects.filter(
                organization=self.organization, pk__in=[p.pk for p, _ in results]
            )
        )
        by_id = {p.integration_id: p for p in profiles}
        ordered = [by_id[item["integration_id"]] for item in items]
        if request.query_params.get("silent") == "yes":
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            {
                "integrationStates": [
                    {"customerProfile": shaped}
                    for shaped in profile_shapes(self.organization, ordered)
                ]
            }
        )


class CustomerDataView(TalonView):
    """delete_customer_data → customers.services.delete_customer_personal_data."""

    def delete(self, request, integration_id):
        profile = self.tenant_row(CustomerProfile.objects, integration_id=integration_id)
        customer_services.delete_customer_personal_data(profile=profile)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InventoryView(TalonView):
    """get_customer_inventory → memberships.selectors.customer_inventory (the profile and its
    loyalty; coupons, referrals, giveaways and achievements are empty until they exist)."""

    def get(self, request, integration_id):
        profile = self.tenant_row(CustomerProfile.objects, integration_id=integration_id)
        flags = {name: self.query_flag(name) for name in ("profile", "loyalty", "coupons",
                 "referrals", "giveaways", "achievements")}  # fmt: skip
        answer: dict = {}
        if flags["profile"]:
            answer["profile"] = profile_shapes(self.organization, [profile])[0]
        if flags["loyalty"]:
            answer["loyalty"] = loyalty_of(profile)
        for name in ("coupons", "referrals", "giveaways", "achievements"):
            if flags[name]:
                answer[name] = []
        return Response(answer)


def loyalty_of(profile) -> dict:
    """Talon's Loyalty from the inventory's loyalty section: a LoyaltyProgramLedgers per
    program the profile has points in, keyed by the program's number."""
    entries = customer_inventory(profile=profile, sections={"loyalty"})["loyalty"]
    programs = {
        p.pk: p for p in LoyaltyProgram.objects.filter(pk__in=[e["program"] for e in entries])
    }
    tiers = dict(
        Tier.objects.filter(pk__in=[e["tier"]["id"] for e in entries if e["tier"]]).values_list(
            "pk", "number"
        )
    )
    shaped = {}
    for entry in entries:
        program = programs[entry["program"]]
        tier = entry["tier"]
        current = {"id": tiers[tier["id"]], "name": tier["name"]} if tier else None
        shaped[str(program.number)] = {
            "id": program.number,
            "title": program.name,
            "name": program.name,
            "ledger": shapes.ledger_info(entry["balance"] or ZERO, current),
            "subLedgers": {
                key: shapes.ledger_info(values)
                for key, values in entry["subledger_balances"].items()
            },
        }
    return {"programs": shaped}


ZERO = {"active": 0, "pending": 0, "expired": 0, "spent": 0}
