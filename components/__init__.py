"""The Pulumi program's building blocks: typed config and one ComponentResource per part."""
