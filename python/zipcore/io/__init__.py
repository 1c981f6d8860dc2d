"""Reading pools and writing results: the streaming JSON/JSONL reader (``jsonstream``, over
``jsonfile``: bytes, text and positions; ``jsonlist``: JSON lists; ``jsonl``: JSONL), pools from
files (``readers``: ``read_pool``, ``PoolFile``), record formats (``formats``, ``templates``),
records into a pool with preference pairs (``encoder``), Parquet (``parquet``) and the one output
policy every writer follows (``atomic``)."""
