"""Who may do what (DESIGN): operators register, look up and log; analysts read; admins
manage categories and may do everything."""

from shared.auth import Role, principal_of

Operator = principal_of(Role.OPERATOR, Role.ADMIN)
Reader = principal_of(Role.OPERATOR, Role.ANALYST, Role.ADMIN)
Admin = principal_of(Role.ADMIN)
