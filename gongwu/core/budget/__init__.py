"""Budget: fiscal years, lines per unit and economic class, and the reserve → charge → release ledger."""
