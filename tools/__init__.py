"""Offline tooling: run the program under Pulumi's mocks and the policy pack over gRPC."""
