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
