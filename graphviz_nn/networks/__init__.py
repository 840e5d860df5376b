"""Layer chains and TOML specs turned into programs; Network (evaluate, step, train)."""
