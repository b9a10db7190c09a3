"""Zanbot: a bilingual (Russian/Kazakh) legal-awareness chatbot."""

__version__ = "0.1.0"
