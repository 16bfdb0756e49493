"""Delivery: each message sent once to each recipient on its channel (mail, app webhook, Web
Push), within the recipient's rate limit, and announced as CitizenNotified."""
