"""Terminal entry points: practice and operator commands."""
