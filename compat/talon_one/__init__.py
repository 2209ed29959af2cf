"""Talon.One's Integration API (seed 002), as its SDK `talon_one_sdk` calls it, mounted at
/compat/talon-one/. A translation layer only: paths, names, integer ids, envelopes and errors
are mapped onto the services our own API calls; no business rule lives here."""
