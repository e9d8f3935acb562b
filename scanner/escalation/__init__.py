"""Escalation and accountability: webhooks, evidence bundles, CyberTipline-style reports, Matrix policy lists,
the monthly transparency report and retention. Every export and purge appends to the audit log."""
