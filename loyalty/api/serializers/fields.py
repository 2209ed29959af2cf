"""Serializer fields shared by the apps' APIs."""

from rest_framework import serializers


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key input limited to the request's organization: another tenant's id is
    "does not exist", never a cross-tenant link."""

    def run_validation(self, data=serializers.empty):
        if data == "":  # DRF would read "" as null; the schema says an id (or null)
            self.fail("incorrect_type", data_type="empty string")
        return super().run_validation(data)

    def get_queryset(self):
        organization = self.context.get("organization")
        queryset = super().get_queryset()
        return (
            queryset.none() if organization is None else queryset.filter(organization=organization)
        )
