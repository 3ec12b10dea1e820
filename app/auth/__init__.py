"""Bearer-token authentication: who is calling, for which jurisdiction, in which role."""
