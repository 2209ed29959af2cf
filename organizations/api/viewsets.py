"""The one place where API querysets are scoped to the request's organization."""

import functools

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import viewsets
from rest_framework.exceptions import NotFound, ValidationError

from core.api.contract import check_query_parameters
from core.validators import is_clean_text
from organizations.idempotency import run_idempotently
from organizations.tenancy import request_organization

MAX_LOOKUP_LENGTH = 255
GUARDED_METHODS = {
    "get_queryset": "scope_queryset(queryset)",
    "filter_queryset": "filter_list(queryset)",
    "get_object": "scope_queryset(queryset)",
}


class TenantViewSet(viewsets.GenericViewSet):
    """Base of every partner API viewset.

    `get_queryset` filters the declared `queryset` by the request's organization (none at all
    when there is no organization); subclasses refine it in `scope_queryset`. `get_object`
    checks the row's organization once more, and other tenant rows are looked up through
    `get_tenant_object_or_404`. The FilterSet and ordering apply to `list` only (detail routes
    and their nested lists have parameters of their own); `filter_list` refines that list.
    Subclasses may not override the guarded methods. Actions named in `idempotent_actions`
    honour `Idempotency-Key`.
    """

    idempotent_actions: frozenset[str] = frozenset({"create", "update"})
    # actions besides `list` that take the list's filters (e.g. a CSV download of it)
    filtered_actions: frozenset[str] = frozenset()
    # action name -> extra error statuses to document in the OpenAPI schema ("409", "413").
    documented_error_statuses: dict[str, tuple[str, ...]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, hook in GUARDED_METHODS.items():
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} overrides {name}; implement {hook} instead so "
                    "organization scoping cannot be bypassed."
                )

    @property
    def organization(self):
        return request_organization(self.request)

    def get_queryset(self):
        queryset = super().get_queryset()
        organization = self.organization
        if organization is None:
            return queryset.none()
        return self.scope_queryset(queryset.filter(organization=organization))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_query_parameters(request, self)
        lookup = self.lookup_url_kwarg or self.lookup_field
        value = self.kwargs.get(lookup)
        if value is not None and (len(value) > MAX_LOOKUP_LENGTH or not is_clean_text(value)):
            # Nothing can be stored under such a key: reads find nothing, writes are told why.
            if request.method == "PUT":
                raise ValidationError(
                    {lookup: [f"Use at most {MAX_LOOKUP_LENGTH} characters of valid text."]}
                )
            raise NotFound()

    def scope_queryset(self, queryset):
        return queryset

    def filter_queryset(self, queryset):
        if self.action != "list" and self.action not in self.filtered_actions:
            return queryset
        return self.filter_list(super().filter_queryset(queryset))

    def filter_list(self, queryset):
        return queryset

    def get_object(self):
        obj = super().get_object()
        if obj.organization_id != self.organization.pk:  # fail closed, whatever the queryset
            raise NotFound()
        return obj

    def get_tenant_object_or_404(self, queryset, **lookup):
        """A row of another tenant model (`Model.objects` or a queryset of one), scoped to the
        request's organization: another organization's row is a 404, like a missing one."""
        try:
            return queryset.for_organization(self.organization).get(**lookup)
        except (ObjectDoesNotExist, DjangoValidationError, ValueError, TypeError) as exc:
            raise NotFound() from exc

    def reload(self, obj):
        """The row again through the scoped queryset, with its select/prefetch for the answer."""
        return self.get_queryset().get(pk=obj.pk)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organization": self.organization}

    def dispatch(self, request, *args, **kwargs):
        method = request.method.lower()
        action = getattr(self, "action_map", {}).get(method)
        if action in self.idempotent_actions and method not in ("get", "head", "options"):
            handler = getattr(self, method)

            @functools.wraps(handler)
            def idempotent_handler(request, *args, **kwargs):
                return run_idempotently(
                    request=request,
                    organization=self.organization,
                    handler=lambda: handler(request, *args, **kwargs),
                )

            setattr(self, method, idempotent_handler)
        return super().dispatch(request, *args, **kwargs)
