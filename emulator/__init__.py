"""The AWS emulator for tests and `inventory/local`: moto in server mode, corrected where it deviates from AWS.

Each correction in `emulator.corrections` makes moto behave as AWS documents; docs/moto-deviations.md
lists them. The product never works around moto: the emulator is fixed instead.
"""
