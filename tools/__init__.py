"""Developer tools: offline preview and the offline policy analyzer driver."""
