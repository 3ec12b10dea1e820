"""Users: sign-up on the open shard, read and update of one's own record."""
