"""What the memberships app holds on a customer, for the data export: its loyalty
memberships and member groups (the inventory's sections)."""

from .selectors import customer_inventory


def export_sections(*, profile) -> dict:
    inventory = customer_inventory(profile=profile, sections={"memberships", "groups"})
    return {"loyalty_memberships": inventory["memberships"], "member_groups": inventory["groups"]}
