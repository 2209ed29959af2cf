"""core.api.batch.validate_batch gives what the DRF serializer gives: the same validated items
for valid batches (whether or not its plain-Python pass could decide), the same errors for
invalid ones."""

import uuid

import pytest
from rest_framework.exceptions import ValidationError

from core.api.batch import _fast, validate_batch
from memberships.api.serializers import BatchAddSerializer, BatchUpdateSerializer

PROGRAM = str(uuid.uuid4())
TIER = str(uuid.uuid4())


def drf(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return [dict(item) for item in serializer.validated_data["memberships"]]


PLAIN_ADDS = [
    [{"program": PROGRAM, "profile": "p1"}],  # defaults: is_primary False, state new
    [
        {
            "program": PROGRAM.upper(),
            "profile": "  padded  ",  # trimmed
            "code": "",
            "is_primary": True,
            "points": 0,
            "expiration_date": None,
            "url": "",
            "tier": None,
            "state": "enrolled",
        }
    ],
    [
        {
            "program": PROGRAM,
            "profile": "ünïcödé-名前",
            "code": "x" * 100,
            "points": 10**12,
            "expiration_date": "2027-01-31T10:00:00+02:00",
            "url": "https://example.com/card/1",
            "tier": TIER,
        },
        {"program": PROGRAM, "profile": "p" * 255, "is_primary": False, "state": "canceled"},
    ],
]


@pytest.mark.parametrize("items", PLAIN_ADDS)
def test_plain_valid_batches_take_the_fast_pass_and_match_drf(items):
    data = {"memberships": items}
    fast = _fast(BatchAddSerializer, data, "memberships")
    assert fast is not None, "plainly valid items should not need the serializer"
    assert fast == drf(BatchAddSerializer, data)
    assert validate_batch(BatchAddSerializer, data, "memberships") == fast


def test_update_items_keep_null_and_omitted_apart_as_drf_does():
    items = [
        {"id": str(uuid.uuid4()), "code": None, "state": "pending"},
        {"id": str(uuid.uuid4()), "is_primary": None, "url": None, "points": 3},
        {"id": str(uuid.uuid4())},
    ]
    data = {"memberships": items}
    fast = _fast(BatchUpdateSerializer, data, "memberships")
    assert fast is not None
    assert fast == drf(BatchUpdateSerializer, data)
    assert fast[0] == {"id": uuid.UUID(items[0]["id"]), "code": None, "state": "pending"}
    assert "code" not in fast[2]


def test_unusual_but_valid_input_is_coerced_by_drf():
    data = {"memberships": [{"program": PROGRAM, "profile": "p", "points": 7.0}]}  # 7.0 is 7
    assert _fast(BatchAddSerializer, data, "memberships") is None
    assert validate_batch(BatchAddSerializer, data, "memberships") == drf(BatchAddSerializer, data)


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"program": PROGRAM, "profile": "p", "is_primary": "true"}, "is_primary"),
        ({"program": PROGRAM, "profile": 12345}, "profile"),  # a number as integration id
        ({"program": PROGRAM, "profile": "p", "points": "12"}, "points"),
    ],
)
def test_values_of_the_wrong_json_type_are_refused_not_coerced(item, field):
    data = {"memberships": [item]}
    assert _fast(BatchAddSerializer, data, "memberships") is None
    with pytest.raises(ValidationError) as error:
        validate_batch(BatchAddSerializer, data, "memberships")
    assert field in error.value.detail["memberships"][0]


@pytest.mark.parametrize(
    "items",
    [
        [{"program": "not-a-uuid", "profile": "p"}],
        [{"profile": "p"}],
        [{"program": PROGRAM, "profile": "   "}],
        [{"program": PROGRAM, "profile": "p" * 256}],
        [{"program": PROGRAM, "profile": "nul\x00byte"}],
        [{"program": PROGRAM, "profile": "p", "points": -1}],
        [{"program": PROGRAM, "profile": "p", "points": 10**12 + 1}],
        [{"program": PROGRAM, "profile": "p", "is_primary": None}],
        [{"program": PROGRAM, "profile": "p", "state": "frozen"}],
        [{"program": PROGRAM, "profile": "p", "url": "not a url"}],
        [{"program": PROGRAM, "profile": "p", "expiration_date": "tomorrow"}],
        [{"program": PROGRAM, "profile": "ok"}, "not an object"],
        [],
    ],
)
def test_invalid_batches_get_drfs_own_errors(items):
    data = {"memberships": items}
    serializer = BatchAddSerializer(data=data)
    assert not serializer.is_valid()
    with pytest.raises(ValidationError) as caught:
        validate_batch(BatchAddSerializer, data, "memberships")
    assert caught.value.detail == serializer.errors


@pytest.mark.parametrize("data", [[], "memberships", {"memberships": {"0": {}}}, {}])
def test_a_body_of_the_wrong_shape_gets_drfs_error(data):
    serializer = BatchAddSerializer(data=data)
    assert not serializer.is_valid()
    with pytest.raises(ValidationError) as caught:
        validate_batch(BatchAddSerializer, data, "memberships")
    assert caught.value.detail == serializer.errors
