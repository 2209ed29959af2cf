"""Mews Connector's loyalty memberships (seed 004), mounted at /compat/mews/api/connector/v1/:
every call a POST whose JSON body carries `ClientToken`, `AccessToken` (our API key) and
`Client`, PascalCase names, onto memberships.services."""
