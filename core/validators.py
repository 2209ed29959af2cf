import math

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def is_clean_text(value: str) -> bool:
    """No NUL and no lone surrogates: text both PostgreSQL and SQLite can store."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def iter_json_scalars(data):
    """Every key and leaf value of parsed JSON. Iterative, so deep nesting costs no recursion."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def find_unencodable_string(data) -> str | None:
    """The first string (key or value) in parsed JSON that is not valid Unicode, else None."""
    for item in iter_json_scalars(data):
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return item
    return None


UNSTORABLE_JSON_MESSAGES = {
    "text": "Text may not contain NUL characters or invalid Unicode.",
    "number": "Numbers must be finite.",
    "integer": "Whole numbers must fit in 64 bits.",
}


def unstorable_json_problem(data) -> str | None:
    """What in parsed JSON cannot be stored in both databases, or None if it all can: "text"
    (NUL or invalid Unicode in a key or value), "number" (not finite) or "integer" (beyond
    64 bits). The one rule; callers word it (UNSTORABLE_JSON_MESSAGES, or their own)."""
    for item in iter_json_scalars(data):
        if isinstance(item, str) and not is_clean_text(item):
            return "text"
        if isinstance(item, float) and not math.isfinite(item):
            return "number"
        if (
            isinstance(item, int)
            and not isinstance(item, bool)
            and not INT64_MIN <= item <= INT64_MAX
        ):
            return "integer"
    return None


def unstorable_json_reason(data) -> str | None:
    """Why parsed JSON cannot be stored in both databases, or None if it can."""
    problem = unstorable_json_problem(data)
    return UNSTORABLE_JSON_MESSAGES[problem] if problem else None
