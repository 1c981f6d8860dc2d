"""Reading pools and writing results: the streaming JSON/JSONL reader (``jsonstream``), pools from
files (``readers``: ``read_pool``, ``PoolFile``), record formats (``formats``), Parquet
(``parquet``) and the one output policy every writer follows (``atomic``)."""
