"""Residency report: where personal data of a stack rests and travels, for a DPO.

``python -m tools.residency_report --stack eu`` writes ``build/report/<stack>/`` with
``report.html``, ``report.json`` (``schema.json``) and ``diagram.svg``.
"""
