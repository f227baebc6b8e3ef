"""The answer's decisions as small named checks, each returning a `Decision` (schema.py) with its
reason, run in an order that is a plain list. `gates.py`: before the model (out of scope, filter,
relevance, missing terms). The judge and the clause checks after the model are still in
answering.py and citations.py (see the README's table of checks)."""
