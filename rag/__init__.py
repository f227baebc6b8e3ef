"""报告问答: offline retrieval-augmented Q&A over Chinese government reports.

Data flows one way: load → structure → dedup → chunk → embed → index → retrieve → answer → cite.
Nothing slow happens at import time; models load on first use and are shared.
"""

__version__ = "0.1.0"
