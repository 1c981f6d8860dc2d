"""The entropy-law tools built on the selection engine: R of whole datasets and of each source
(``ratio``), the picture of a selection run (``report``), and data-version monitoring with its
quality fit (``monitor``, ``quality_fit``)."""
