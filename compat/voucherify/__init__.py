"""Voucherify's tier structures (seed 003), mounted at /compat/voucherify/v2/: its auth
(`X-App-Id` + `X-App-Token`, or Bearer), `card_definition_id` for the program, its error shape,
over loyalty.services and the serializers our own API validates tier structures with."""
