"""Speed measurements of rnncore against torch, run with ``make bench``."""
