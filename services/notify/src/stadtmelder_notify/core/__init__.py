"""Report-follower notifications: reporters, supporters, the report's app and subscribed
browsers hear about each step of a report in their language."""
