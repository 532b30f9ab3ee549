"""What reaches SQLite: the statements a connection ran, and the transactions they committed."""

from __future__ import annotations

from collections.abc import Sequence


def count_commits(statements: Sequence[str]) -> int:
    """Transactions committed: each COMMIT, and each write statement run outside BEGIN … COMMIT (autocommit)."""
    commits, open_ = 0, False
    for sql in (s.lstrip().upper() for s in statements):
        if sql.startswith("BEGIN"):
            open_ = True
        elif sql.startswith("COMMIT"):
            commits, open_ = commits + 1, False
        elif sql.startswith(("INSERT", "UPDATE", "DELETE")) and not open_:
            commits += 1
    return commits
