"""Operator checks of the payment providers' side of the platform."""
