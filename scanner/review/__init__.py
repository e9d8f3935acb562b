"""Review services: cases, claims, decisions, escalations, icon reveals, metrics and the audit log.

The dashboard, the bots and the CLI call these functions; each one checks the user's permission itself
(``scanner.auth.users.require``) and changes the database in one transaction that also appends to the audit log.
"""
