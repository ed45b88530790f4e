"""Collectors: scheduled jobs that measure models and hand rows to the warehouse.

They never format pages and never open the database themselves.
"""
