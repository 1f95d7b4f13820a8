"""Alert rules, alert state (fire, repeat, escalate, resolve) and delivery to Slack and the console."""
