"""The rule builder's fields for earning-rule conditions, beyond the audience ones: a closed
session's facts (registered as the "earning" subject of audiences.vocabulary). Attribute
conditions (`session.attributes.<name>`, `event.attributes.<name>`) have free names: a saved
one shows as it is, and new ones are typed in the JSON of the API."""

from audiences.rules import OPERATORS

from .conditions import NUMBER_FIELDS, NUMBER_OPERATORS, SET_FIELDS, VALUE_OPERATORS

LABELS = {
    "session.total": "Cart total",
    "session.items_count": "Number of items",
    "session.skus": "SKUs in the cart",
    "session.categories": "Categories in the cart",
    "session.store_id": "Store",
}


def _ordered(operators) -> list[str]:
    return [op for op in OPERATORS if op in operators]


def earning_fields(organization) -> list[dict]:
    group = "Session (checked at checkout)"
    return [
        *({"value": f, "label": LABELS[f], "group": group, "kind": "number",
           "operators": _ordered(NUMBER_OPERATORS)} for f in NUMBER_FIELDS),
        *({"value": f, "label": LABELS[f], "group": group, "kind": "set",
           "operators": ["in", "all", "not_in"]} for f in SET_FIELDS),
        {"value": "session.store_id", "label": LABELS["session.store_id"], "group": group,
         "kind": "text", "operators": _ordered(VALUE_OPERATORS)},
    ]  # fmt: skip
