"""factory-boy factories for every model; FACTORIES maps a model to its factory so generic
tests (the tenancy walk) can create an object of any model a route serves."""

import factory
from django.contrib.auth import get_user_model

from audiences.models import Audience, AudienceGroup, AudienceImport
from campaigns.models import CustomerEvent, CustomerSession, EarningRule
from customers.models import CustomerProfile
from loyalty.models import LoyaltyCard, LoyaltyProgram, Tier, TierStructure
from memberships.models import LoyaltyMembership, MembersGroup
from organizations import services as org_services
from organizations.models import ApiKey, IdempotencyKey, Organization, OrganizationMember, Role


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Through the service, as the admin and seed_demo do (its hooks give the
        organization its system groups)."""
        existing = model_class.objects.filter(slug=kwargs.get("slug")).first()
        return existing or org_services.create_organization(**kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationMember

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """Builds keys through the service; the plain secret is on `.secret`."""

    class Meta:
        model = ApiKey

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"key {n}")
    scopes = ("read", "write")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        api_key, secret = org_services.create_api_key(**kwargs)
        api_key.secret = secret
        return api_key


class CustomerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerProfile

    organization = factory.SubFactory(OrganizationFactory)
    integration_id = factory.Sequence(lambda n: f"cust-{n:06d}")
    email = factory.LazyAttribute(lambda o: f"{o.integration_id}@example.com")
    msisdn = factory.Sequence(lambda n: f"+4475{n:08d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    attributes = factory.LazyFunction(lambda: {"city": "Leeds", "visits": 3})


class IdempotencyKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdempotencyKey

    organization = factory.SubFactory(OrganizationFactory)
    key = factory.Sequence(lambda n: f"idem-{n}")
    fingerprint = "0" * 64
    method = "PUT"
    path = "/api/v1/customer-profiles/x"


class LoyaltyProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoyaltyProgram

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Program {n}")


class LoyaltyCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoyaltyCard

    program = factory.SubFactory(
        LoyaltyProgramFactory,
        kind=LoyaltyProgram.Kind.CARD,
        organization=factory.SelfAttribute("..organization"),
    )
    organization = factory.SubFactory(OrganizationFactory)
    identifier = factory.Sequence(lambda n: f"CARD-{n:06d}")


class TierStructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierStructure

    organization = factory.SubFactory(OrganizationFactory)
    program = factory.SubFactory(
        LoyaltyProgramFactory, organization=factory.SelfAttribute("..organization")
    )
    name = factory.Sequence(lambda n: f"Structure {n}")


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    organization = factory.SubFactory(OrganizationFactory)
    structure = factory.SubFactory(
        TierStructureFactory, organization=factory.SelfAttribute("..organization")
    )
    name = factory.Sequence(lambda n: f"Tier {n}")
    order = 1
    min_points = 0


class AudienceGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AudienceGroup

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class AudienceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Audience

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Audience {n}")


class AudienceImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AudienceImport

    organization = factory.SubFactory(OrganizationFactory)
    audience = factory.SubFactory(
        AudienceFactory, organization=factory.SelfAttribute("..organization")
    )
    file = "imports/example.csv"
    original_name = "example.csv"


class LoyaltyMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoyaltyMembership

    organization = factory.SubFactory(OrganizationFactory)
    program = factory.SubFactory(
        LoyaltyProgramFactory, organization=factory.SelfAttribute("..organization")
    )
    profile = factory.SubFactory(
        CustomerProfileFactory, organization=factory.SelfAttribute("..organization")
    )


class MembersGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembersGroup

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class EarningRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EarningRule

    organization = factory.SubFactory(OrganizationFactory)
    program = factory.SubFactory(
        LoyaltyProgramFactory, organization=factory.SelfAttribute("..organization")
    )
    name = factory.Sequence(lambda n: f"Rule {n}")
    trigger = EarningRule.Trigger.SESSION_CLOSED
    effects = factory.LazyFunction(lambda: [{"type": "add_points", "points": 10}])


class CustomerSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerSession

    organization = factory.SubFactory(OrganizationFactory)
    session_id = factory.Sequence(lambda n: f"session-{n:06d}")
    profile = factory.SubFactory(
        CustomerProfileFactory, organization=factory.SelfAttribute("..organization")
    )


class CustomerEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerEvent

    organization = factory.SubFactory(OrganizationFactory)
    profile = factory.SubFactory(
        CustomerProfileFactory, organization=factory.SelfAttribute("..organization")
    )
    type = "store_visit"


FACTORIES = {
    factory_class._meta.model: factory_class
    for factory_class in (
        OrganizationFactory,
        UserFactory,
        OrganizationMemberFactory,
        ApiKeyFactory,
        CustomerProfileFactory,
        IdempotencyKeyFactory,
        LoyaltyProgramFactory,
        LoyaltyCardFactory,
        TierStructureFactory,
        TierFactory,
        AudienceGroupFactory,
        AudienceFactory,
        AudienceImportFactory,
        LoyaltyMembershipFactory,
        MembersGroupFactory,
        EarningRuleFactory,
        CustomerSessionFactory,
        CustomerEventFactory,
    )
}
