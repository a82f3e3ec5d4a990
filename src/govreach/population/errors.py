"""Errors raised by the population generator, worded for the command line."""


class PopulationError(ValueError):
    """A bad generator argument; the message names the option and the accepted values."""
