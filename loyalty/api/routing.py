"""How the loyalty API's routes under one program are registered.

The viewsets of a program's cards and of the ledgers of its profiles and cards are keyed by
the program: their routes are detail actions (`loyalty-programs/{id}/cards/…`,
`loyalty-programs/{id}/profiles/{integration_id}/…`), so the base viewset's `get_object` finds
the program, scoped and guarded, and `initial` checks its id, as on the program's own routes.
They share the program's prefix; `program_routes` registers them with it, in the order the
router needs."""

from .views.owners import ProgramOwnerViewSet

PREFIX = "loyalty-programs"


def program_routes(
    program_viewset, basename: str, nested: dict[str, type[ProgramOwnerViewSet]]
) -> list[tuple[str, type, str]]:
    """Router registrations (prefix, viewset, basename): the viewsets `nested` under a program
    (basename -> viewset), then the program's own. The nested ones come first because the API
    root links a prefix to the list route of its last registration, the program's."""
    return [
        *((PREFIX, viewset, name) for name, viewset in nested.items()),
        (PREFIX, program_viewset, basename),
    ]
