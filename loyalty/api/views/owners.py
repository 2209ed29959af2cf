"""Routes under one program that name one of its owners: a customer profile
(`loyalty-programs/{id}/profiles/{integration_id}/…`) or a card
(`loyalty-programs/{id}/cards/{card_identifier}/…`). The profile's routes are also mounted,
for one release, at their old singular path `…/profile/{integration_id}/…`
(`DEPRECATED_PROFILE`): same views, same answers, marked deprecated in the schema.

The viewsets of these routes are keyed by the program (their routes are detail actions, so
the base viewset's `get_object` finds the program, scoped and guarded); the owner is found
here, in one place, through the base viewset's scoped lookup (`get_tenant_object_or_404`):
another organization's profile is a 404 like a missing one.
"""

import dataclasses
from dataclasses import dataclass

from django.forms.utils import pretty_name
from rest_framework.exceptions import NotFound

from core.api.schema import AutoSchema
from core.validators import is_clean_text
from loyalty import owners
from loyalty.models import LoyaltyProgram
from organizations.api.viewsets import MAX_LOOKUP_LENGTH, TenantViewSet


@dataclass(frozen=True)
class OwnerMount:
    """Where the routes of one kind of owner sit under a program, and how they are worded."""

    owner: owners.Owner
    segment: str  # the path segment under the program
    url_kwarg: str  # the owner's key in the path
    other_kind: str  # the 404's detail on a program whose ledger has the other kind of owner
    whose: str  # the schema's wording: "A customer's points balances"
    whom: str  # "Add points to a customer"
    name_prefix: str  # OPTIONS names the card routes "Card balances", the profile's "Balances"
    # a deprecated alias: the mount that replaces it (the schema points there)
    replaced_by: "OwnerMount | None" = None

    def path(self, action: str = "") -> str:
        """An action's `url_path` under this owner (`cards/(?P<card_identifier>[^/]+)/…`)."""
        path = rf"{self.segment}/(?P<{self.url_kwarg}>[^/]+)"
        return f"{path}/{action}" if action else path

    def action_name(self, action: str) -> str:
        return pretty_name(f"{self.name_prefix}{action}")

    def replacement(self, schema_path: str) -> str:
        """The path that replaces one of this alias's paths in the schema:
        `…/{id}/profile/{integration_id}/balances/` -> `…/{id}/profiles/{integration_id}/…`."""
        old, new = f"}}/{self.segment}/{{", f"}}/{self.replaced_by.segment}/{{"
        if old not in schema_path:
            raise ValueError(f"{schema_path} is not a path of the {self.segment}/ mount")
        return schema_path.replace(old, new, 1)


PROFILE = OwnerMount(
    owner=owners.PROFILE,
    segment="profiles",
    url_kwarg="integration_id",
    other_kind="This is a card-based program: it has no profile ledgers; use a card.",
    whose="A customer's",
    whom="a customer",
    name_prefix="",
)
CARD = OwnerMount(
    owner=owners.CARD,
    segment="cards",
    url_kwarg="card_identifier",
    other_kind="This is a profile-based program: it has no cards; use a profile.",
    whose="A card's",
    whom="a card",
    name_prefix="card_",
)
# The profile's routes at their old singular path, kept for one release (remove in the next).
DEPRECATED_PROFILE = dataclasses.replace(PROFILE, segment="profile", replaced_by=PROFILE)


class DeprecatedMountSchema(AutoSchema):
    """The schema of a deprecated mount's routes (the viewset's `owner_mount`): each operation
    is marked deprecated and its description starts by naming the path that replaces it; the
    rest (operationId, parameters, bodies, answers) is what the routes have always had."""

    def is_deprecated(self) -> bool:
        return True

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        replacement = self.view.owner_mount.replacement(path)
        note = f"Deprecated: use {replacement} (removed in the next release)."
        description = operation.get("description")
        operation["description"] = f"{note}\n\n{description}" if description else note
        return operation


def _assert_storable(value: str) -> None:
    """No card or profile can have such a key: 404 rather than a database error."""
    if len(value) > MAX_LOOKUP_LENGTH or not is_clean_text(value):
        raise NotFound()


class ProgramOwnerViewSet(TenantViewSet):
    """Base of the viewsets whose routes sit under one program and name one of its owners.
    They are registered under `loyalty-programs` (`loyalty.api.routing.program_routes`)."""

    queryset = LoyaltyProgram.objects.all()

    def find_owner(self, owner: owners.Owner, program: LoyaltyProgram, key: str, *prefetch):
        """`owner`'s row named `key` among the program's owners, or a 404."""
        _assert_storable(key)
        rows = owner.rows(program).prefetch_related(*prefetch)
        return self.get_tenant_object_or_404(rows, **{owner.key_field: key})

    def get_ledger(self, mount: OwnerMount) -> tuple[LoyaltyProgram, dict]:
        """The program and the owner of the ledger the path names, as the ledger functions
        take them (`{"profile": …}` or `{"card": …}`). A profile-based program has no cards and
        a card-based one no profile ledgers: such a path names nothing that can exist, a 404
        saying why."""
        program = self.get_object()
        if program.kind != mount.owner.program_kind:
            raise NotFound(mount.other_kind)
        owner = self.find_owner(mount.owner, program, self.kwargs[mount.url_kwarg])
        return program, {mount.owner.name: owner}
