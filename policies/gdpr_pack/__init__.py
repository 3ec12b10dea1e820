"""GDPR policy pack: residency, encryption, tags and baseline rules.

Kept free of heavy imports so that the Pulumi program can import the jurisdiction table
without loading the policy SDK.
"""
