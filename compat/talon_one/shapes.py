"""Our rows in the shapes Talon.One's SDK deserializes (its models' required fields, camelCase
names, integer ids: each row's `number`). Reads only: what a shape needs beyond the row
is passed in by the view."""

import datetime as dt
from decimal import Decimal

from campaigns.models import AppliedEffect, CustomerSession

STATES = {CustomerSession.State.CANCELED: "cancelled"}  # Talon's spelling
IMMEDIATE, UNLIMITED = "immediate", "unlimited"


def _money(value) -> float | int:
    value = Decimal(value or 0)
    return int(value) if value == value.to_integral_value() else float(value)


def _moment(value: dt.datetime | None, otherwise: str) -> str:
    return value.isoformat() if value is not None else otherwise


def profile(row, *, account: int, sales: tuple[int, Decimal] = (0, Decimal(0))) -> dict:
    """CustomerProfile; `sales`: (closed sessions, their total)."""
    closed, total = sales
    return {
        "id": row.number,
        "created": row.created_at,
        "integrationId": row.integration_id,
        "attributes": row.attributes,
        "accountId": account,
        "closedSessions": closed,
        "totalSales": _money(total),
        "lastActivity": row.updated_at,
        "sandbox": False,
    }


def audience(row, *, account: int) -> dict:
    return {
        "accountId": account,
        "id": row.number,
        "created": row.created_at,
        "name": row.name,
        "description": row.description,
        "sandbox": False,
        "lastUpdate": row.updated_at,
    }


def balance(values: dict, tier=None) -> dict:
    """LoyaltyBalance(WithTier) from loyalty.selectors' {active, pending, expired, spent}."""
    shaped = {
        "activePoints": values["active"],
        "pendingPoints": values["pending"],
        "spentPoints": values["spent"],
        "expiredPoints": values["expired"],
        "negativePoints": values.get("negative", 0),
    }
    if tier is not None:
        shaped["currentTier"] = tier
    return shaped


def ledger_info(values: dict, tier=None) -> dict:
    info = {
        "currentBalance": values["active"],
        "pendingBalance": values["pending"],
        "expiredBalance": values["expired"],
        "spentBalance": values["spent"],
        "tentativeCurrentBalance": values["active"],
        "tentativePendingBalance": values["pending"],
        "negativeBalance": values.get("negative", 0),
    }
    if tier is not None:
        info["currentTier"] = tier  # {id: the tier's number, name}
    return info


def card(row, *, program_number: int) -> dict:
    return {
        "id": row.number,
        "created": row.created_at,
        "programID": program_number,
        "status": row.status,
        "identifier": row.identifier,
        "usersPerCardLimit": 0,  # our cards take any number of profiles (0: no limit)
        "profiles": [
            {"integrationId": p.integration_id, "timestamp": p.created_at}
            for p in row.profiles.all()
        ],
        "modified": row.updated_at,
    }


def cart_item(row) -> dict:
    item = {
        "sku": row.sku,
        "quantity": row.quantity,
        "returnedQuantity": row.returned_quantity,
        "remainingQuantity": row.quantity - row.returned_quantity,
        "price": _money(row.price),
        "position": row.position,
        "attributes": row.attributes,
    }
    if row.name:
        item["name"] = row.name
    if row.category:
        item["category"] = row.category
    return item


def session(row, items, *, application: int, first: bool, updates: int) -> dict:
    total = _money(row.total)
    shaped = {
        "id": row.number,
        "created": row.created_at,
        "integrationId": row.session_id,
        "applicationId": application,
        "state": STATES.get(row.state, row.state),
        "cartItems": [cart_item(item) for item in items],
        "attributes": row.attributes,
        "loyaltyCards": row.loyalty_cards[:1],  # Talon's sessions hold one card
        "couponCodes": [],
        "additionalCosts": {},
        "identifiers": [],
        "firstSession": first,
        "updateCount": updates,
        "total": total,
        "cartItemTotal": total,
        "additionalCostTotal": 0,
        "cartItemAdditionalCostTotal": 0,  # SDK 26.13 asks for it
        "updated": row.updated_at,
    }
    if row.profile_id:
        shaped["profileId"] = row.profile.integration_id
    if row.store_id:
        shaped["storeIntegrationId"] = row.store_id
    return shaped


def effect(row: AppliedEffect, *, profile) -> dict:
    """Effect: addLoyaltyPoints or deductLoyaltyPoints, with the props Talon gives them; the
    recipient is the card credited, else the session's or event's `profile`."""
    rule_number = row.rule.number if row.rule_id else 0
    program = row.program.number
    txn = row.transaction
    card = txn.account.card if txn is not None and txn.account.card_id else None
    recipient = card.identifier if card else (profile.integration_id if profile else "")
    adding = row.type == AppliedEffect.Type.ADD_POINTS
    props = {
        "name": row.reason,
        "programId": program,
        "subLedgerId": row.subledger_id,
        "value": row.amount,
        "transactionUUID": str(row.transaction_id or ""),
    }
    if adding:
        props["recipientIntegrationId"] = recipient
        if txn is not None:
            props["startDate"] = txn.activates_at
            if txn.expires_at is not None:
                props["expiryDate"] = txn.expires_at
            props["awaitsActivation"] = txn.activates_at > row.created_at
    else:
        props["ruleTitle"] = row.rule_name
    if card is not None:
        props["cardIdentifier"] = card.identifier
    return {
        "campaignId": rule_number,
        "rulesetId": rule_number,
        "ruleIndex": 0,
        "ruleName": row.rule_name,
        "effectType": "addLoyaltyPoints" if adding else "deductLoyaltyPoints",
        "props": props,
    }


def points_entry(lot, *, program_number: int) -> dict:
    """LedgerPointsEntryIntegrationAPI (and its card twin): a lot with points left."""
    return {
        "id": lot.pk,
        "transactionUUID": str(lot.transaction_id),
        "created": lot.created_at,
        "programId": program_number,
        "name": lot.transaction.reason or lot.transaction.kind,
        "startDate": IMMEDIATE
        if lot.activates_at <= lot.created_at
        else lot.activates_at.isoformat(),
        "expiryDate": _moment(lot.expires_at, UNLIMITED),
        "subledgerId": lot.account.subledger_id,
        "amount": lot.remaining,
    }


def transaction_entry(txn, *, program_number: int, card_identifier: str | None = None) -> dict:
    """LedgerTransactionLogEntryIntegrationAPI; with a card, its Card… twin."""
    entry = {
        "transactionUUID": str(txn.pk),
        "created": txn.created_at,
        "programId": program_number,
        "type": "addition" if txn.amount > 0 else "subtraction",
        "name": txn.reason or txn.kind,
        "startDate": IMMEDIATE
        if txn.activates_at is None or txn.activates_at <= txn.created_at
        else txn.activates_at.isoformat(),
        "expiryDate": _moment(txn.expires_at, UNLIMITED),
        "subledgerId": txn.account.subledger_id,
        "amount": abs(txn.amount),
        "id": txn.number,
    }
    if card_identifier is not None:
        entry["cardIdentifier"] = card_identifier
    return entry
