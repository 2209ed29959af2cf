import datetime as dt

import pytest

from loyalty import services
from tests.factories import CustomerProfileFactory

T0 = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.fixture
def program(organization):
    return services.create_loyalty_program(
        organization=organization, data={"name": "Coffee Club", "points_validity_days": 30}
    )


@pytest.fixture
def profile(organization):
    return CustomerProfileFactory(organization=organization, integration_id="cust-1")


def ladder(*ranges):
    """[(name, min, max)] -> tier payloads with orders 1..n."""
    return [
        {"name": name, "order": i + 1, "min_points": low, "max_points": high}
        for i, (name, low, high) in enumerate(ranges)
    ]


BRONZE_SILVER_GOLD = ladder(("Bronze", 0, 99), ("Silver", 100, 499), ("Gold", 500, None))


@pytest.fixture
def make_structure(program):
    def make(tiers=BRONZE_SILVER_GOLD, activate=True, **data):
        structure = services.create_tier_structure(
            program=data.pop("program", program), data={"name": "Tiers", **data}, tiers=tiers
        )
        if activate:
            structure = services.set_tier_structure_status(structure=structure, status="ACTIVE")
        return structure

    return make
