"""Area alerts: people subscribe to an area by mail and hear of new reports there."""
