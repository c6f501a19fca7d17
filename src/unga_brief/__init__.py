"""unga-brief: UN roll-call votes on Ukraine and Gaza, curated, validated, analysed and briefed."""

__version__ = "0.1.0"
