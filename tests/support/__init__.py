"""What tests share: data factories, users and review steps, databases, and the real servers (Synapse,
PostgreSQL, a Telegram Bot API stand-in, a webhook receiver). Test modules import from here, never from each
other."""
