"""Batching: ``vmap``'s trace and its rule table (design §5b)."""
