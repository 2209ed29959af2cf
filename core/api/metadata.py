from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """OPTIONS answers the view's name, renderers and parsers; the fields of each operation
    are in the OpenAPI schema (`/api/schema/`). DRF's own `actions` section builds the PUT
    form from an object, which the bulk PUT on a list has none of (it was a 500)."""

    def determine_metadata(self, request, view):
        metadata = super().determine_metadata(request, view)
        metadata.pop("actions", None)
        return metadata

    def determine_actions(self, request, view):
        return {}
