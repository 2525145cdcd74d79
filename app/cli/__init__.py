"""The command line, ``backprop-explorer`` (or ``python -m app``): serve, trace, train,
export and import. See ``backprop-explorer --help`` and docs/client.md."""
