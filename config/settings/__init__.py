"""CIRS settings: ``base`` reads the environment, ``dev`` is the default, ``prod`` hardens it."""
