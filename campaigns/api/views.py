"""Customer sessions, events and earning rules: thin views over campaigns.services."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from campaigns import services
from campaigns.filters import CustomerSessionFilter, EarningRuleFilter
from campaigns.models import CartItem, CustomerEvent, CustomerSession, EarningRule
from core.errors import BatchValidationError
from organizations.api.viewsets import TenantViewSet
from organizations.tenancy import request_actor

from . import serializers as s


def _dry(request) -> bool:
    query = s.DryRunQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["dry"]


def _answer(result, *, status_code=status.HTTP_200_OK) -> Response:
    session = s.SessionSerializer(result.session, context={"items": result.items}).data
    effects = s.EffectSerializer(result.effects, many=True).data
    return Response({"session": session, "effects": effects}, status=status_code)


class CustomerSessionViewSet(mixins.ListModelMixin, TenantViewSet):
    """Customer sessions (Talon.One's): `PUT` creates or updates one (closing it runs the
    program's rules), `GET` reads it with every effect, `reopen`, `returns`."""

    queryset = CustomerSession.objects.select_related("profile").prefetch_related(
        Prefetch("items", queryset=CartItem.objects.order_by("position"))
    )
    serializer_class = s.SessionSerializer
    filterset_class = CustomerSessionFilter
    lookup_field = "session_id"
    lookup_value_regex = "[^/]+"
    idempotent_actions = frozenset({"update", "returns"})
    documented_error_statuses = {"update": ("409",), "reopen": ("409",), "returns": ("409",)}
    # PUT with another organization's session id creates the caller's own session
    cross_tenant_upsert_actions = frozenset({"update"})

    def _get(self, session_id):
        try:
            return services.get_customer_session(
                organization=self.organization, session_id=session_id
            )
        except CustomerSession.DoesNotExist as exc:
            raise NotFound() from exc

    @extend_schema(responses=s.SessionResultSerializer, summary="Get a customer session")
    def retrieve(self, request, session_id=None):
        return _answer(self._get(session_id))

    @extend_schema(
        request=s.SessionWriteSerializer,
        parameters=[s.DryRunQuerySerializer],
        responses={200: s.SessionResultSerializer, 201: s.SessionResultSerializer},
        summary="Create or update a customer session",
    )
    def update(self, request, session_id=None):
        dry = _dry(request)
        data = s.SessionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.update_customer_session(
            organization=self.organization,
            session_id=session_id,
            data=data.validated_data,
            dry=dry,
            actor=request_actor(request),
        )
        created = result.created and not dry
        return _answer(result, status_code=status.HTTP_201_CREATED if created else 200)

    @extend_schema(
        request=None,
        parameters=[s.DryRunQuerySerializer],
        responses=s.SessionResultSerializer,
        summary="Reopen a closed session",
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, session_id=None):
        dry = _dry(request)
        try:
            result = services.reopen_customer_session(
                organization=self.organization, session_id=session_id, dry=dry
            )
        except CustomerSession.DoesNotExist as exc:
            raise NotFound() from exc
        return _answer(result)

    @extend_schema(
        request=s.ReturnSerializer,
        parameters=[s.DryRunQuerySerializer],
        responses=s.SessionResultSerializer,
        summary="Return cart items",
    )
    @action(detail=True, methods=["post"])
    def returns(self, request, session_id=None):
        dry = _dry(request)
        self.get_object()  # another organization's session is a 404 before its body is read
        data = s.ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.return_cart_items(
                organization=self.organization,
                session_id=session_id,
                returned=data.validated_data["returned_cart_items"],
                dry=dry,
                actor=request_actor(request),
            )
        except CustomerSession.DoesNotExist as exc:
            raise NotFound() from exc
        except BatchValidationError as exc:
            raise ValidationError(exc.as_detail("returned_cart_items")) from exc
        return _answer(result)


class EventViewSet(TenantViewSet):
    """`POST /events`: a customer did something; the event rules of its type earn points."""

    queryset = CustomerEvent.objects.all()
    serializer_class = s.EventSerializer
    idempotent_actions = frozenset({"create"})

    @extend_schema(
        request=s.EventWriteSerializer,
        parameters=[s.DryRunQuerySerializer],
        responses={201: s.EventResultSerializer, 200: s.EventResultSerializer},
        summary="Track an event",
    )
    def create(self, request):
        dry = _dry(request)
        data = s.EventWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.track_event(
            organization=self.organization,
            dry=dry,
            actor=request_actor(request),
            **data.validated_data,
        )
        body = {
            "event": s.EventSerializer(result.event).data,
            "effects": s.EffectSerializer(result.effects, many=True).data,
        }
        return Response(body, status=status.HTTP_200_OK if dry else status.HTTP_201_CREATED)


class EarningRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Earning rules of the organization's loyalty programs."""

    queryset = EarningRule.objects.all()
    serializer_class = s.EarningRuleSerializer
    filterset_class = EarningRuleFilter

    @extend_schema(request=s.EarningRuleSerializer, responses={201: s.EarningRuleSerializer})
    def create(self, request):
        data = s.EarningRuleSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        rule = services.create_earning_rule(program=fields.pop("program"), data=fields)
        return Response(s.EarningRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.EarningRuleUpdateSerializer, responses=s.EarningRuleSerializer)
    def partial_update(self, request, pk=None):
        rule = self.get_object()
        data = s.EarningRuleUpdateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        rule = services.update_earning_rule(rule=rule, data=data.validated_data)
        return Response(s.EarningRuleSerializer(rule).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.delete_earning_rule(rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
