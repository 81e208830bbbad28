"""Arabesque: run Ballerine workflow definitions, drive KYC/KYB cases."""

__version__ = "0.1.0"
