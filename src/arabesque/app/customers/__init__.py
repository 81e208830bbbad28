"""Customers: the tenant behind projects, as an API key sees it.

- `queries.py` — the customer and project of the calling key (`GET /external/customers/me`)
"""
