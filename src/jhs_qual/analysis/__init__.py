"""Analysis: agreement statistics, comparisons of coders (pure functions)."""
