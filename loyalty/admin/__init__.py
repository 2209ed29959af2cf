"""Staff pages of the loyalty app, one module a job:

- programs.py: programs, a card-based program's cards inline;
- points.py: a program's points page (balances lookup, manual adjustment);
- structures.py: tier structures with their tiers inline, status actions, ladder, preview;
- ledger.py: the points transactions, read-only;
- forms.py: the forms and fields the pages above use.

Every write goes through `loyalty.services` / `loyalty.ledger`, like the API.
"""

from . import ledger, programs, structures

__all__ = ["ledger", "programs", "structures"]
