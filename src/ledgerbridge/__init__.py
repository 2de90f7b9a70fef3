"""ledgerbridge: a self-hosted QuickBooks Online sync engine, with a faithful QBO emulator."""

__version__ = "0.1.0"
