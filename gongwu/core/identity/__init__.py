"""Identity: the org-unit tree, users with rank and roles, the permission registry, login and scoping."""
