"""Who may do what: dashboard users, roles and permission checks. Every service checks here; none decides
permissions itself."""
