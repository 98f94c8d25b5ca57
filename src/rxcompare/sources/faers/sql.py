"""Quoting for the SQL that DuckDB runs: a string as a literal, a name as an identifier.

Paths, quarter names, case ids and user column names reach SQL text through these two and
nowhere else: a quote inside the value is doubled, as SQL writes it, so no value can end its
literal or identifier early.
"""

from __future__ import annotations

__all__ = ["sql_identifier", "sql_literal"]


def sql_literal(value: str) -> str:
    """``value`` as an SQL string literal: ``it's`` -> ``'it''s'``."""
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (a column or table name): ``a"b`` -> ``"a""b"``."""
    return '"' + name.replace('"', '""') + '"'
