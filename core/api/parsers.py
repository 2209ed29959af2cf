from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.validators import find_unencodable_string


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus two inputs it would let through to a 500: nesting deep enough
    to exhaust the recursion limit, and lone surrogates (\\ud800) no database can store."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        if find_unencodable_string(data) is not None:
            raise ParseError("JSON parse error - a string is not valid Unicode (lone surrogate).")
        return data
