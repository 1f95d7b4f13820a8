"""Pure computation over budget data: no database, no clock, no network.

Everything here takes plain values (frozen dataclasses, Decimals, dates passed in as ``as_of``)
and returns plain values.
"""
