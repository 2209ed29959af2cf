"""loyaltyMemberships/{getAll,add,update,delete} → memberships.services (and the same rows
as our API shows them: points from the ledger)."""

from django.db.models import Q
from rest_framework import serializers
from rest_framework.response import Response

from memberships import services
from memberships.api.views import membership_rows
from memberships.models import LoyaltyMembership

from .base import STATES, THEIR_STATES, MewsView

LIMIT = services.BATCH_LIMIT
MAX_COUNT = 1000


class Common(serializers.Serializer):
    ClientToken = serializers.CharField()
    AccessToken = serializers.CharField()
    Client = serializers.CharField()
    ChainId = serializers.UUIDField(required=False, allow_null=True)


class Limitation(serializers.Serializer):
    Count = serializers.IntegerField(min_value=1, max_value=MAX_COUNT)
    Cursor = serializers.UUIDField(required=False, allow_null=True)


def ids(**kwargs):
    return serializers.ListField(required=False, allow_null=True, max_length=LIMIT, **kwargs)


class GetAll(Common):
    ChainIds = ids(child=serializers.UUIDField())
    LoyaltyMembershipIds = ids(child=serializers.UUIDField())
    AccountIds = ids(child=serializers.CharField(max_length=255))
    ActivityStates = ids(child=serializers.ChoiceField(choices=["Active", "Deleted"]))
    MembershipStates = ids(child=serializers.ChoiceField(choices=list(STATES)))
    Limitation = Limitation()


class NewMembership(serializers.Serializer):
    LoyaltyProgramId = serializers.UUIDField()
    AccountId = serializers.CharField(max_length=255)
    Code = serializers.CharField(max_length=255, required=False, allow_null=True, allow_blank=True)
    IsPrimary = serializers.BooleanField()
    Points = serializers.IntegerField(required=False, allow_null=True)
    ExpirationDate = serializers.DateTimeField(required=False, allow_null=True)
    Url = serializers.URLField(required=False, allow_null=True, allow_blank=True)
    LoyaltyTierId = serializers.UUIDField(required=False, allow_null=True)
    State = serializers.ChoiceField(choices=list(STATES), required=False, allow_null=True)


class Add(Common):
    LoyaltyMemberships = NewMembership(many=True, allow_empty=False)


class Value(serializers.Field):
    """An update value: `{"Value": x}` (Mews' form) or `x`; null means unchanged."""

    def __init__(self, field, **kwargs):
        self.inner = field
        super().__init__(required=False, allow_null=True, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = data.get("Value")
        return None if data is None else self.inner.run_validation(data)


class MembershipUpdate(serializers.Serializer):
    LoyaltyMembershipId = serializers.UUIDField()
    LoyaltyProgramId = Value(serializers.UUIDField())
    IsPrimary = Value(serializers.BooleanField())
    Points = Value(serializers.IntegerField())
    Code = Value(serializers.CharField(max_length=255, allow_blank=True))
    ExpirationDate = Value(serializers.DateTimeField())
    Url = Value(serializers.URLField(allow_blank=True))
    LoyaltyTierId = Value(serializers.UUIDField())
    State = Value(serializers.ChoiceField(choices=list(STATES)))


class Update(Common):
    LoyaltyMembershipUpdates = MembershipUpdate(many=True, allow_empty=False)


class Delete(Common):
    LoyaltyMembershipIds = serializers.ListField(child=serializers.UUIDField(), allow_empty=False)


def shaped(memberships) -> list[dict]:
    return [
        {
            "Id": row["id"],
            "ChainId": str(membership.organization_id),
            "State": THEIR_STATES[row["state"]],
            "ActivityState": "Active" if row["activity_state"] == "active" else "Deleted",
            "LoyaltyProgramId": row["program"],
            "AccountId": row["profile"],
            "Code": row["code"] or None,
            "IsPrimary": row["is_primary"],
            "Points": row["points"],
            "ExpirationDate": row["expiration_date"],
            "Url": row["url"] or None,
            "LoyaltyTierId": row["tier"],
        }
        for membership, row in zip(memberships, membership_rows(memberships), strict=True)
    ]


class MembershipsView(MewsView):
    body_class: type[serializers.Serializer] = Common

    def body(self, request) -> dict:
        for key in ("LoyaltyMemberships", "LoyaltyMembershipUpdates", "LoyaltyMembershipIds"):
            items = request.data.get(key)
            if isinstance(items, list) and len(items) > LIMIT:
                raise serializers.ValidationError({key: [f"At most {LIMIT:,} items per call."]})
        body = self.body_class(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data

    def target(self, data):
        """The organization a write goes to (see MewsView.chain)."""
        return self.chain(data.get("ChainId"), write=True)

    def answer(self, memberships) -> Response:
        return Response({"LoyaltyMemberships": shaped(memberships)})


class GetAllView(MembershipsView):
    body_class = GetAll
    reads = True

    def post(self, request):
        data = self.body(request)
        chains = {org.pk for org in self.organizations}
        if (narrowed := self.chain(data.get("ChainId"), write=False)) is not None:
            chains = {narrowed.pk}
        if data.get("ChainIds"):
            chains &= set(data["ChainIds"])
        rows = LoyaltyMembership.objects.filter(organization_id__in=chains)
        if data.get("LoyaltyMembershipIds"):
            rows = rows.filter(pk__in=data["LoyaltyMembershipIds"])
        if data.get("AccountIds"):
            rows = rows.filter(profile__integration_id__in=data["AccountIds"])
        if data.get("MembershipStates"):
            rows = rows.filter(state__in=[STATES[s] for s in data["MembershipStates"]])
        activity = set(data.get("ActivityStates") or ["Active"])
        if activity == {"Active"}:
            rows = rows.filter(deleted_at__isnull=True)
        elif activity == {"Deleted"}:
            rows = rows.filter(deleted_at__isnull=False)
        limitation = data["Limitation"]
        rows = rows.order_by("created_at", "id")
        if limitation.get("Cursor"):
            last = LoyaltyMembership.objects.filter(
                organization_id__in=chains, pk=limitation["Cursor"]
            ).first()
            if last is not None:
                rows = rows.filter(
                    Q(created_at__gt=last.created_at)
                    | Q(created_at=last.created_at, id__gt=last.pk)
                )
        page = list(rows[: limitation["Count"]])
        body = {
            "LoyaltyMemberships": shaped(page),
            "Cursor": str(page[-1].pk) if page else None,
        }
        return Response(body)


class AddView(MembershipsView):
    body_class = Add

    def post(self, request):
        data = self.body(request)
        created = services.add_memberships(
            organization=self.target(data),
            items=[
                {
                    "program": item["LoyaltyProgramId"],
                    "profile": item["AccountId"],
                    "code": item.get("Code") or "",
                    "is_primary": item["IsPrimary"],
                    "points": item.get("Points"),
                    "expiration_date": item.get("ExpirationDate"),
                    "url": item.get("Url") or "",
                    "tier": item.get("LoyaltyTierId"),
                    "state": STATES[item["State"]] if item.get("State") else None,
                }
                for item in data["LoyaltyMemberships"]
            ],
        )
        return self.answer(created)


UPDATES = {
    "IsPrimary": "is_primary",
    "Points": "points",
    "Code": "code",
    "ExpirationDate": "expiration_date",
    "Url": "url",
    "LoyaltyTierId": "tier",
}


class UpdateView(MembershipsView):
    body_class = Update
    batch_key = "LoyaltyMembershipUpdates"

    def post(self, request):
        data = self.body(request)
        items = []
        for index, update in enumerate(data["LoyaltyMembershipUpdates"]):
            if update.get("LoyaltyProgramId") is not None:
                raise serializers.ValidationError(
                    {"LoyaltyMembershipUpdates": {str(index): {"LoyaltyProgramId": [
                        "A membership stays in its program: add one in the other program."]}}}
                )  # fmt: skip
            item = {"id": update["LoyaltyMembershipId"]}
            for theirs, ours in UPDATES.items():
                if update.get(theirs) is not None:
                    item[ours] = update[theirs]
            if update.get("State") is not None:
                item["state"] = STATES[update["State"]]
            items.append(item)
        changed = services.update_memberships(organization=self.target(data), items=items)
        return self.answer(changed)


class DeleteView(MembershipsView):
    body_class = Delete
    batch_key = "LoyaltyMembershipIds"

    def post(self, request):
        data = self.body(request)
        services.delete_memberships(
            organization=self.target(data), ids=list(data["LoyaltyMembershipIds"])
        )
        return Response({})
